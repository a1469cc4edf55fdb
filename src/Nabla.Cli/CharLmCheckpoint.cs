using System.Globalization;
using System.Text.Json;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Serialization;
using Nabla.Text;

namespace Nabla.Cli;

/// <summary>
/// The checkpoint of <c>nabla train charlm</c>, <c>DIR/checkpoint.safetensors</c>: the model's state
/// dict, and in the metadata the vocabulary (its tokens by index), the architecture, the
/// hyper-parameters and the perplexity of each epoch; enough for <c>nabla generate charlm</c>.
/// </summary>
public static class CharLmCheckpoint
{
    /// <summary>The cells <c>--cell</c> accepts.</summary>
    public static IReadOnlyList<string> Cells { get; } = ["rnn", "gru", "lstm"];

    /// <summary>d2l's RNNModel over a fresh <paramref name="cell"/> layer, drawing its weights from <see cref="Generator.Default"/>.</summary>
    /// <exception cref="ArgumentException">The cell is not one of <see cref="Cells"/>.</exception>
    public static RNNModel Build(string cell, int vocabSize, int hidden, int layers) => new(cell switch
    {
        "rnn" => new RNN(vocabSize, hidden, layers),
        "gru" => new GRU(vocabSize, hidden, layers),
        "lstm" => new LSTM(vocabSize, hidden, layers),
        _ => throw new ArgumentException($"--cell: unknown cell '{cell}'. Cells: {string.Join(", ", Cells)}."),
    }, vocabSize);

    /// <summary>
    /// Writes the model, its vocabulary and the run's settings to <paramref name="directory"/> (created if needed);
    /// with <paramref name="optimizer"/> and the generators' states also what <c>--resume</c> needs.
    /// </summary>
    /// <returns>The file written.</returns>
    public static string Save(string directory, RNNModel model, Vocab vocab, CharLmSettings settings, IReadOnlyList<double> perplexities,
        Optimizer? optimizer = null, byte[]? dataGeneratorState = null)
    {
        Directory.CreateDirectory(directory);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["model"] = CharLmRun.ModelName,
            ["cell"] = settings.Cell,
            ["layers"] = Invariant(settings.Layers),
            ["hidden"] = Invariant(settings.Hidden),
            ["vocab"] = JsonSerializer.Serialize(vocab.IdxToToken),
            ["steps"] = Invariant(settings.Steps),
            ["batch_size"] = Invariant(settings.BatchSize),
            ["random_sampling"] = settings.RandomSampling ? "true" : "false",
            ["optimizer"] = settings.Optimizer,
            ["lr"] = settings.LearningRate.ToString("R", CultureInfo.InvariantCulture),
            ["clip"] = settings.Clip.ToString("R", CultureInfo.InvariantCulture),
            ["seed"] = Invariant(settings.Seed),
            ["max_tokens"] = Invariant(settings.MaxTokens),
            ["epoch"] = Invariant(perplexities.Count),
            ["perplexity"] = JsonSerializer.Serialize(perplexities),
            ["rng.default"] = Checkpoint.EncodeState(Generator.Default.GetState()),
        };
        if (dataGeneratorState is not null) metadata["rng.data"] = Checkpoint.EncodeState(dataGeneratorState);
        OptimizerStateDict? optimizerState = optimizer?.StateDict();
        foreach (var (key, value) in optimizerState?.Values ?? [])
        {
            metadata[OptimizerValuePrefix + key] = value;
        }
        string path = CheckpointStore.PathIn(directory);
        Checkpoint.Save(path, model.StateDict(), optimizerState?.Tensors, metadata);
        return path;
    }

    /// <summary>Metadata keys of the optimizer's values (as <see cref="CheckpointStore"/> writes them).</summary>
    private const string OptimizerValuePrefix = "optimizer.";

    /// <summary>The settings a checkpoint was trained with (its recipe; <see cref="CharLmSettings.Epochs"/> = epochs finished).</summary>
    /// <exception cref="InvalidDataException">A setting is missing or malformed.</exception>
    public static CharLmSettings Settings(IReadOnlyDictionary<string, string> metadata, string path)
    {
        var m = new CheckpointMetadata(metadata, path, "a resumable charlm checkpoint");
        string cell = m.Get("cell");
        if (!Cells.Contains(cell))
        {
            throw new InvalidDataException($"{path}: metadata 'cell' is '{cell}', not one of {string.Join(", ", Cells)}.");
        }
        return new CharLmSettings
        {
            Cell = cell,
            Layers = m.Int("layers", min: 1),
            Hidden = m.Int("hidden", min: 1),
            Steps = m.Int("steps", min: 1),
            BatchSize = m.Int("batch_size", min: 1),
            RandomSampling = m.Get("random_sampling") == "true",
            Optimizer = m.Get("optimizer"),
            LearningRate = m.Double("lr", positive: true),
            Clip = m.Double("clip", positive: true),
            Seed = m.Long("seed"),
            MaxTokens = m.Int("max_tokens", min: 0),
            Epochs = m.Int("epoch", min: 0),
        };
    }

    /// <summary>The error when <paramref name="path"/> holds a checkpoint of another model (an image model's) or of none.</summary>
    /// <exception cref="InvalidDataException">It is not a charlm checkpoint.</exception>
    public static void CheckIsCharLm(IReadOnlyDictionary<string, string> metadata, string path, string directory, string command)
    {
        string? model = metadata.TryGetValue("model", out string? name) ? name : null;
        if (model == CharLmRun.ModelName)
        {
            return;
        }
        throw new InvalidDataException(model is null
            ? $"{command}: {path} is not a charlm checkpoint (it names no model)."
            : ModelCatalog.Find(model) is not null
                ? $"{command}: {path} holds a '{model}' image model, not {CharLmRun.ModelName}; use it with `nabla eval {model} --checkpoint {directory}` or `nabla train {model} --checkpoint {directory} --resume`."
                : $"{command}: {path} holds a '{model}' model, not {CharLmRun.ModelName}.");
    }

    /// <summary>Rebuilds the model and vocabulary saved in <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no checkpoint.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is not a charlm checkpoint, or its metadata is malformed.</exception>
    public static (RNNModel Model, Vocab Vocab, IReadOnlyDictionary<string, string> Metadata) Load(string directory)
    {
        string path = CheckpointStore.PathIn(directory);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No checkpoint in {directory} (expected {path}).", path);
        }
        CheckpointData data = Checkpoint.Load(path);
        CheckIsCharLm(data.Metadata, path, directory, "generate");
        var m = new CheckpointMetadata(data.Metadata, path, "a charlm checkpoint");
        string[] tokens = m.Json<string[]>("vocab");
        if (tokens.Length < 2 || tokens[0] != Vocab.UnkToken)
        {
            throw new InvalidDataException($"{path}: the vocabulary must start with {Vocab.UnkToken}.");
        }
        if (tokens.Distinct().Count() != tokens.Length)
        {
            throw new InvalidDataException($"{path}: the vocabulary (metadata 'vocab') holds a token twice.");
        }
        // Each token once: the counts tie, and the stable sort keeps the saved order, so every index is as saved.
        var vocab = new Vocab(tokens[1..]);
        string cell = m.Get("cell");
        if (!Cells.Contains(cell))
        {
            throw new InvalidDataException($"{path}: metadata 'cell' is '{cell}', not one of {string.Join(", ", Cells)}.");
        }
        RNNModel model = Build(cell, vocab.Count, m.Int("hidden", min: 1), m.Int("layers", min: 1));
        model.LoadStateDict(data.Model, strict: true);
        model.Eval();
        return (model, vocab, data.Metadata);
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
