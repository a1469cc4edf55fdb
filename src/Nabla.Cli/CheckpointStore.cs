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
    /// <exception cref="InvalidDataException">The file is not a checkpoint of an image model, or a metadata value is malformed.</exception>
    public static (CheckpointData Data, RunState State) Read(string directory)
    {
        string path = PathIn(directory);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No checkpoint in {directory} (expected {path}).", path);
        }
        CheckpointData data = Checkpoint.Load(path);
        var metadata = new CheckpointMetadata(data.Metadata, path, "a nabla training checkpoint");
        if (metadata.Optional("model") == CharLmRun.ModelName)
        {
            throw new InvalidDataException($"{path} holds the character language model ({CharLmRun.ModelName}), not an image model; " +
                $"use it with `nabla generate {CharLmRun.ModelName} --checkpoint {directory}` or `nabla train {CharLmRun.ModelName} --checkpoint {directory} --resume`.");
        }
        var state = new RunState
        {
            Model = metadata.Get("model"),
            Optimizer = metadata.Get("optimizer"),
            BatchSize = metadata.Int("batch_size", min: 1),
            Seed = metadata.Long("seed"),
            Data = metadata.Get("data") is { Length: > 0 } dataOption ? dataOption : null,
            Limit = metadata.Int("limit", min: 0),
            // Checkpoints from before the zoo lack these: 28-pixel models, no width, no augmentation.
            Width = metadata.Optional("width") is { Length: > 0 } ? metadata.Double("width", positive: true) : null,
            InputSize = metadata.Optional("input_size") is null ? 28 : metadata.Int("input_size", min: 1),
            Augment = metadata.Optional("augment") == "true",
            // Checkpoints from before fine-tuning lack these: all ten classes, trained from scratch.
            Classes = metadata.Optional("classes") is { Length: > 0 } classes ? ParseClasses(classes, path) : null,
            Aux = metadata.Optional("aux") == "true",
            FineTunedFrom = metadata.Optional("finetuned_from") is { Length: > 0 } from ? from : null,
            FreezeUntil = metadata.Optional("freeze_until") is { Length: > 0 } freeze ? freeze : null,
            LrBackbone = metadata.Optional("lr_backbone") is { Length: > 0 } ? metadata.Double("lr_backbone", positive: false) : null,
            // Checkpoints from before schedules lack this: a constant rate.
            LrSchedule = metadata.Optional("lr_schedule") is { Length: > 0 } schedule ? schedule : null,
            SchedulerState = data.Metadata.Where(kv => kv.Key.StartsWith(SchedulerValuePrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[SchedulerValuePrefix.Length..], kv => kv.Value, StringComparer.Ordinal),
            AugmentState = metadata.Optional("rng.augment") is { Length: > 0 } ? metadata.GeneratorState("rng.augment") : [],
            CompletedEpochs = metadata.Int("epoch", min: 0),
            Partial = metadata.Json<EpochTotals>("partial_epoch", JsonOptions),
            LoaderState = metadata.GeneratorState("rng.loader"),
            DefaultGeneratorState = metadata.GeneratorState("rng.default"),
        };
        state.History.AddRange(metadata.Json<List<EpochMetrics>>("history", JsonOptions));
        if (state.History.Count != state.CompletedEpochs)
        {
            throw new InvalidDataException($"{path}: metadata 'epoch' is {state.CompletedEpochs} but 'history' holds {state.History.Count} epochs.");
        }
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
    /// <param name="data">The checkpoint.</param>
    /// <param name="optimizer">The optimizer to restore.</param>
    /// <param name="path">The checkpoint's file, for messages.</param>
    /// <exception cref="InvalidDataException">The saved state is malformed or does not fit the optimizer.</exception>
    public static void LoadOptimizer(CheckpointData data, Optimizer optimizer, string path)
    {
        try
        {
            LoadOptimizerState(data, optimizer);
        }
        catch (Exception exception) when (exception is JsonException or FormatException or KeyNotFoundException or InvalidCastException or ArgumentException)
        {
            throw new InvalidDataException(
                $"{path}: the optimizer's state (metadata '{OptimizerValuePrefix}…') cannot be restored ({CheckpointMetadata.FirstSentence(exception.Message)}).", exception);
        }
    }

    private static void LoadOptimizerState(CheckpointData data, Optimizer optimizer)
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
