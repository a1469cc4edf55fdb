using System.Globalization;
using System.Text.Json;
using Nabla.Optim;
using Nabla.Serialization;
using Nabla.Text;
using Nabla.Text.Bert;

namespace Nabla.Cli;

/// <summary>
/// The checkpoint of <c>nabla train bert</c>, <c>DIR/checkpoint.safetensors</c>: the model's state dict
/// (names as <see cref="BertModel"/> documents), and in the metadata the vocabulary, the tokenization,
/// the recipe, the losses of every step, the optimizer's state and the dropout generator; enough for
/// <c>nabla embed</c> and <c>--resume</c>.
/// </summary>
public static class BertCheckpoint
{
    /// <summary>The model's name in the metadata and on the command line.</summary>
    public const string ModelName = "bert";

    private const string OptimizerValuePrefix = "optimizer.";

    /// <summary>Writes the run to <paramref name="directory"/> (created if needed).</summary>
    /// <returns>The file written.</returns>
    public static string Save(string directory, BertModel model, Vocab vocab, string tokenization, BertSettings settings,
        IReadOnlyList<double> mlmLosses, IReadOnlyList<double> nspLosses, Optimizer? optimizer, (int Epoch, int Batch) position = default)
    {
        Directory.CreateDirectory(directory);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["model"] = ModelName,
            ["vocab"] = JsonSerializer.Serialize(vocab.IdxToToken),
            ["tokenization"] = tokenization,
            ["max_len"] = Invariant(settings.MaxLen),
            ["hidden"] = Invariant(settings.Hidden),
            ["ffn"] = Invariant(settings.Ffn),
            ["heads"] = Invariant(settings.Heads),
            ["blocks"] = Invariant(settings.Blocks),
            ["dropout"] = settings.Dropout.ToString("R", CultureInfo.InvariantCulture),
            ["batch_size"] = Invariant(settings.BatchSize),
            ["lr"] = settings.LearningRate.ToString("R", CultureInfo.InvariantCulture),
            ["seed"] = Invariant(settings.Seed),
            ["data"] = settings.Data ?? "",
            ["redraw"] = settings.Redraw ? "true" : "false",
            ["step"] = Invariant(mlmLosses.Count),
            ["epoch"] = Invariant(position.Epoch),
            ["batch_in_epoch"] = Invariant(position.Batch),
            ["mlm_loss"] = JsonSerializer.Serialize(mlmLosses),
            ["nsp_loss"] = JsonSerializer.Serialize(nspLosses),
            ["rng.default"] = Checkpoint.EncodeState(Generator.Default.GetState()),
        };
        OptimizerStateDict? optimizerState = optimizer?.StateDict();
        foreach (var (key, value) in optimizerState?.Values ?? [])
        {
            metadata[OptimizerValuePrefix + key] = value;
        }
        string path = CheckpointStore.PathIn(directory);
        Checkpoint.Save(path, model.StateDict(), optimizerState?.Tensors, metadata);
        return path;
    }

    /// <summary>The recipe a checkpoint was trained with; <see cref="BertSettings.Steps"/> = steps finished.</summary>
    /// <exception cref="InvalidDataException">The checkpoint is not a bert checkpoint.</exception>
    public static BertSettings Settings(IReadOnlyDictionary<string, string> metadata, string path)
    {
        string Get(string key) => Require(metadata, key, path);
        int Int(string key) => int.Parse(Get(key), CultureInfo.InvariantCulture);
        double Double(string key) => double.Parse(Get(key), CultureInfo.InvariantCulture);
        return new BertSettings
        {
            Steps = Int("step"),
            BatchSize = Int("batch_size"),
            MaxLen = Int("max_len"),
            Hidden = Int("hidden"),
            Ffn = Int("ffn"),
            Heads = Int("heads"),
            Blocks = Int("blocks"),
            Dropout = Double("dropout"),
            LearningRate = Double("lr"),
            Seed = long.Parse(Get("seed"), CultureInfo.InvariantCulture),
            Data = Get("data") is { Length: > 0 } data ? data : null,
            Redraw = Get("redraw") == "true",
        };
    }

    /// <summary>Where the next batch of a saved run comes from: its epoch and its batch within the epoch.</summary>
    public static (int Epoch, int Batch) Position(IReadOnlyDictionary<string, string> metadata, string path) =>
        (int.Parse(Require(metadata, "epoch", path), CultureInfo.InvariantCulture), int.Parse(Require(metadata, "batch_in_epoch", path), CultureInfo.InvariantCulture));

    /// <summary>The model of <paramref name="settings"/> over <paramref name="vocabSize"/> tokens, weights from <see cref="Generator.Default"/>.</summary>
    public static BertModel Build(BertSettings settings, int vocabSize) =>
        new(vocabSize, settings.Hidden, settings.Ffn, settings.Heads, settings.Blocks, settings.Dropout, settings.MaxLen);

    /// <summary>Rebuilds the trained model (in eval mode), its vocabulary and the metadata saved in <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no checkpoint.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is not a bert checkpoint.</exception>
    public static (BertModel Model, Vocab Vocab, BertSettings Settings, IReadOnlyDictionary<string, string> Metadata) Load(string directory)
    {
        string path = CheckpointStore.PathIn(directory);
        if (!File.Exists(path)) throw new FileNotFoundException($"No checkpoint in {directory} (expected {path}).", path);
        CheckpointData data = Checkpoint.Load(path);
        var metadata = data.Metadata;
        if (Require(metadata, "model", path) != ModelName)
            throw new InvalidDataException($"{path}: holds a '{metadata["model"]}' model, not {ModelName}.");
        Vocab vocab = ReadVocab(metadata, path);
        BertSettings settings = Settings(metadata, path);
        BertModel model = Build(settings, vocab.Count);
        model.LoadStateDict(data.Model, strict: true);
        model.Eval();
        return (model, vocab, settings, metadata);
    }

    /// <summary>The vocabulary saved in the metadata, each token at its saved index.</summary>
    public static Vocab ReadVocab(IReadOnlyDictionary<string, string> metadata, string path)
    {
        string[] tokens = JsonSerializer.Deserialize<string[]>(Require(metadata, "vocab", path)) ?? [];
        if (tokens.Length < 2 || tokens[0] != Vocab.UnkToken)
            throw new InvalidDataException($"{path}: the vocabulary must start with {Vocab.UnkToken}.");
        // Each token once: the counts tie, and the stable sort keeps the saved order, so every index is as saved.
        return new Vocab(tokens[1..]);
    }

    private static string Require(IReadOnlyDictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out string? value) ? value : throw new InvalidDataException($"{path}: not a bert checkpoint (metadata '{key}' is missing).");

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
