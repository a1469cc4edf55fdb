using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Serialization;
using Nabla.Training;

namespace Nabla.Cli;

/// <summary>
/// Saves and restores a whole training run in one file, <c>DIR/checkpoint.safetensors</c>: the
/// model's state dict, the optimizer's state, and in the metadata the epoch, the position within
/// the epoch, both random generators and the history, so that a resumed run continues exactly as
/// the uninterrupted one would have (bit for bit on the same machine). Written atomically: a
/// crash leaves the previous checkpoint in place.
/// </summary>
public static class CheckpointStore
{
    /// <summary>File name of the checkpoint inside its directory.</summary>
    public const string FileName = "checkpoint.safetensors";

    private const string OptimizerValuePrefix = "optimizer.";

    private const string SchedulerValuePrefix = "scheduler.";

    // NaN appears in the figures of an empty epoch; JSON has no NaN unless asked.
    private static readonly JsonSerializerOptions JsonOptions = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The checkpoint file of <paramref name="directory"/>.</summary>
    public static string PathIn(string directory) => Path.Combine(directory, FileName);

    /// <summary>Writes the run to <paramref name="directory"/> (created if needed).</summary>
    /// <returns>The file written.</returns>
    public static string Save(string directory, Module model, Optimizer optimizer, RunState state)
    {
        Directory.CreateDirectory(directory);
        OptimizerStateDict optimizerState = optimizer.StateDict();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["model"] = state.Model,
            ["optimizer"] = state.Optimizer,
            ["batch_size"] = state.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["seed"] = state.Seed.ToString(CultureInfo.InvariantCulture),
            ["data"] = state.Data ?? "",
            ["limit"] = state.Limit.ToString(CultureInfo.InvariantCulture),
            ["width"] = state.Width?.ToString("R", CultureInfo.InvariantCulture) ?? "",
            ["input_size"] = state.InputSize.ToString(CultureInfo.InvariantCulture),
            ["augment"] = state.Augment ? "true" : "false",
            ["classes"] = state.Classes is null ? "" : ClassSelection.Format(state.Classes),
            ["aux"] = state.Aux ? "true" : "false",
            ["finetuned_from"] = state.FineTunedFrom ?? "",
            ["freeze_until"] = state.FreezeUntil ?? "",
            ["lr_backbone"] = state.LrBackbone?.ToString("R", CultureInfo.InvariantCulture) ?? "",
            ["lr_schedule"] = state.LrSchedule ?? "",
            ["rng.augment"] = Checkpoint.EncodeState(state.AugmentState),
            ["epoch"] = state.CompletedEpochs.ToString(CultureInfo.InvariantCulture),
            ["partial_epoch"] = JsonSerializer.Serialize(state.Partial, JsonOptions),
            ["rng.loader"] = Checkpoint.EncodeState(state.LoaderState),
            ["rng.default"] = Checkpoint.EncodeState(state.DefaultGeneratorState),
            ["history"] = JsonSerializer.Serialize(state.History, JsonOptions),
        };
        foreach (var (key, value) in optimizerState.Values)
        {
            metadata[OptimizerValuePrefix + key] = value;
        }
        foreach (var (key, value) in state.SchedulerState)
        {
            metadata[SchedulerValuePrefix + key] = value;
        }
        string path = PathIn(directory);
        Checkpoint.Save(path, model.StateDict(), optimizerState.Tensors, metadata);
        return path;
    }

    /// <summary>Reads only the run's description from <paramref name="directory"/>'s checkpoint (no weights restored).</summary>
    /// <exception cref="FileNotFoundException">There is no checkpoint.</exception>
    public static (CheckpointData Data, RunState State) Read(string directory)
    {
        string path = PathIn(directory);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No checkpoint in {directory} (expected {path}).", path);
        }
        CheckpointData data = Checkpoint.Load(path);
        var m = data.Metadata;
        string Get(string key) => m.TryGetValue(key, out string? value) ? value
            : throw new InvalidDataException($"{path}: not a nabla training checkpoint (metadata '{key}' is missing).");
        var state = new RunState
        {
            Model = Get("model"),
            Optimizer = Get("optimizer"),
            BatchSize = int.Parse(Get("batch_size"), CultureInfo.InvariantCulture),
            Seed = long.Parse(Get("seed"), CultureInfo.InvariantCulture),
            Data = Get("data") is { Length: > 0 } dataOption ? dataOption : null,
            Limit = int.Parse(Get("limit"), CultureInfo.InvariantCulture),
            // Checkpoints from before the zoo lack these: 28-pixel models, no width, no augmentation.
            Width = m.TryGetValue("width", out string? width) && width.Length > 0 ? double.Parse(width, CultureInfo.InvariantCulture) : null,
            InputSize = m.TryGetValue("input_size", out string? inputSize) ? int.Parse(inputSize, CultureInfo.InvariantCulture) : 28,
            Augment = m.TryGetValue("augment", out string? augment) && augment == "true",
            // Checkpoints from before fine-tuning lack these: all ten classes, trained from scratch.
            Classes = m.TryGetValue("classes", out string? classes) && classes.Length > 0 ? ParseClasses(classes, path) : null,
            Aux = m.TryGetValue("aux", out string? aux) && aux == "true",
            FineTunedFrom = m.TryGetValue("finetuned_from", out string? from) && from.Length > 0 ? from : null,
            FreezeUntil = m.TryGetValue("freeze_until", out string? freeze) && freeze.Length > 0 ? freeze : null,
            LrBackbone = m.TryGetValue("lr_backbone", out string? lrBackbone) && lrBackbone.Length > 0 ? double.Parse(lrBackbone, CultureInfo.InvariantCulture) : null,
            // Checkpoints from before schedules lack this: a constant rate.
            LrSchedule = m.TryGetValue("lr_schedule", out string? schedule) && schedule.Length > 0 ? schedule : null,
            SchedulerState = m.Where(kv => kv.Key.StartsWith(SchedulerValuePrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[SchedulerValuePrefix.Length..], kv => kv.Value, StringComparer.Ordinal),
            AugmentState = m.TryGetValue("rng.augment", out string? augmentState) ? Checkpoint.DecodeState(augmentState, "rng.augment") : [],
            CompletedEpochs = int.Parse(Get("epoch"), CultureInfo.InvariantCulture),
            Partial = JsonSerializer.Deserialize<EpochTotals>(Get("partial_epoch"), JsonOptions) ?? new EpochTotals(),
            LoaderState = Checkpoint.DecodeState(Get("rng.loader"), "rng.loader"),
            DefaultGeneratorState = Checkpoint.DecodeState(Get("rng.default"), "rng.default"),
        };
        state.History.AddRange(JsonSerializer.Deserialize<List<EpochMetrics>>(Get("history"), JsonOptions) ?? []);
        return (data, state);
    }

    private static int[] ParseClasses(string text, string path)
    {
        try
        {
            return ClassSelection.Parse(text);
        }
        catch (ArgumentException exception)
        {
            throw new InvalidDataException($"{path}: bad 'classes' metadata ({exception.Message}).", exception);
        }
    }

    /// <summary>Copies the checkpoint's weights into <paramref name="model"/> (strict: every key, every shape).</summary>
    public static void LoadModel(CheckpointData data, Module model) => model.LoadStateDict(data.Model, strict: true);

    /// <summary>Copies the checkpoint's optimizer state into <paramref name="optimizer"/>.</summary>
    public static void LoadOptimizer(CheckpointData data, Optimizer optimizer)
    {
        var stateDict = new OptimizerStateDict();
        foreach (var (key, tensor) in data.Optimizer)
        {
            stateDict.Tensors[key] = tensor;
        }
        foreach (var (key, value) in data.Metadata)
        {
            if (key.StartsWith(OptimizerValuePrefix, StringComparison.Ordinal))
            {
                stateDict.Values[key[OptimizerValuePrefix.Length..]] = value;
            }
        }
        optimizer.LoadStateDict(stateDict);
    }
}
