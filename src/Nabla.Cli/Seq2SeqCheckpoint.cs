using System.Globalization;
using System.Text.Json;
using Nabla.Optim;
using Nabla.Serialization;
using Nabla.Text;
using Nabla.Text.Seq2Seq;

namespace Nabla.Cli;

/// <summary>
/// The checkpoint of <c>nabla train seq2seq</c>, <c>DIR/checkpoint.safetensors</c>: the model's state dict,
/// and in the metadata both vocabularies (tokens by index), the recipe, the loss of each epoch, and what
/// <c>--resume</c> needs (the optimizer's state, both random generators); enough for <c>nabla translate</c>.
/// </summary>
public static class Seq2SeqCheckpoint
{
    private const string OptimizerValuePrefix = "optimizer.";

    /// <summary>A fresh model of <paramref name="settings"/>' architecture, drawing its weights from <see cref="Generator.Default"/>.</summary>
    public static EncoderDecoder Build(Seq2SeqSettings settings, int srcVocabSize, int tgtVocabSize) => settings.Arch switch
    {
        "gru" => new EncoderDecoder(
            new Seq2SeqEncoder(srcVocabSize, settings.Embed, settings.Hidden, settings.Layers, settings.Dropout),
            new Seq2SeqDecoder(tgtVocabSize, settings.Embed, settings.Hidden, settings.Layers, settings.Dropout)),
        "bahdanau" => new EncoderDecoder(
            new Seq2SeqEncoder(srcVocabSize, settings.Embed, settings.Hidden, settings.Layers, settings.Dropout),
            new Seq2SeqAttentionDecoder(tgtVocabSize, settings.Embed, settings.Hidden, settings.Layers, settings.Dropout)),
        "transformer" => new EncoderDecoder(
            new TransformerSeq2SeqEncoder(srcVocabSize, settings.Hidden, settings.FfnHidden, settings.Heads, settings.Layers, settings.Dropout),
            new TransformerSeq2SeqDecoder(tgtVocabSize, settings.Hidden, settings.FfnHidden, settings.Heads, settings.Layers, settings.Dropout)),
        _ => throw new ArgumentException($"--arch: unknown architecture '{settings.Arch}'. Architectures: {string.Join(", ", Seq2SeqSettings.Archs)}."),
    };

    /// <summary>Writes the model, its vocabularies, the recipe and the training state to <paramref name="directory"/> (created if needed).</summary>
    /// <returns>The file written.</returns>
    public static string Save(string directory, EncoderDecoder model, TranslationData data, Seq2SeqSettings settings, IReadOnlyList<double> losses,
        Optimizer optimizer, byte[] dataGeneratorState)
    {
        Directory.CreateDirectory(directory);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["model"] = Seq2SeqRun.ModelName,
            ["arch"] = settings.Arch,
            ["embed"] = Invariant(settings.Embed),
            ["hidden"] = Invariant(settings.Hidden),
            ["layers"] = Invariant(settings.Layers),
            ["heads"] = Invariant(settings.Heads),
            ["ffn_hidden"] = Invariant(settings.FfnHidden),
            ["dropout"] = Invariant(settings.Dropout),
            ["batch_size"] = Invariant(settings.BatchSize),
            ["steps"] = Invariant(settings.Steps),
            ["lr"] = Invariant(settings.LearningRate),
            ["pairs"] = Invariant(settings.Pairs),
            ["test_fraction"] = Invariant(settings.TestFraction),
            ["clip"] = Invariant(settings.Clip),
            ["seed"] = Invariant(settings.Seed),
            ["src_vocab"] = JsonSerializer.Serialize(data.SrcVocab.IdxToToken),
            ["tgt_vocab"] = JsonSerializer.Serialize(data.TgtVocab.IdxToToken),
            ["epoch"] = Invariant(losses.Count),
            ["loss"] = JsonSerializer.Serialize(losses),
            ["rng.default"] = Checkpoint.EncodeState(Generator.Default.GetState()),
            ["rng.data"] = Checkpoint.EncodeState(dataGeneratorState),
        };
        OptimizerStateDict optimizerState = optimizer.StateDict();
        foreach (var (key, value) in optimizerState.Values)
        {
            metadata[OptimizerValuePrefix + key] = value;
        }
        string path = CheckpointStore.PathIn(directory);
        Checkpoint.Save(path, model.StateDict(), optimizerState.Tensors, metadata);
        return path;
    }

    /// <summary>A saved seq2seq run: its recipe (<see cref="Seq2SeqSettings.Epochs"/> = epochs finished), losses, vocabularies and raw data.</summary>
    public sealed record Saved(Seq2SeqSettings Settings, List<double> Losses, Vocab SrcVocab, Vocab TgtVocab, CheckpointData Data);

    /// <summary>Reads the checkpoint in <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no checkpoint.</exception>
    /// <exception cref="InvalidDataException">It is not a seq2seq checkpoint.</exception>
    public static Saved Read(string directory)
    {
        string path = CheckpointStore.PathIn(directory);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No checkpoint in {directory} (expected {path}).", path);
        }
        CheckpointData data = Checkpoint.Load(path);
        var m = data.Metadata;
        if (!m.TryGetValue("model", out string? model) || model != Seq2SeqRun.ModelName)
        {
            throw new InvalidDataException($"{path}: holds {(model is null ? "no named model" : $"a '{model}' model")}, not a {Seq2SeqRun.ModelName} translation model (train one with `nabla train seq2seq`).");
        }
        var meta = new CheckpointMetadata(m, path, "a seq2seq checkpoint");
        string Get(string key) => meta.Get(key);
        int Int(string key) => meta.Int(key, min: 1);
        double Double(string key) => meta.Double(key, positive: false);
        var settings = new Seq2SeqSettings
        {
            Arch = Get("arch"),
            Embed = Int("embed"),
            Hidden = Int("hidden"),
            Layers = Int("layers"),
            Heads = Int("heads"),
            FfnHidden = Int("ffn_hidden"),
            Dropout = Double("dropout"),
            BatchSize = Int("batch_size"),
            Steps = Int("steps"),
            LearningRate = Double("lr"),
            Pairs = Int("pairs"),
            TestFraction = Double("test_fraction"),
            Clip = Double("clip"),
            Seed = meta.Long("seed"),
            Epochs = Int("epoch"),
        };
        var losses = meta.Json<List<double>>("loss");
        return new Saved(settings, losses, ReadVocab(meta.Json<string[]>("src_vocab"), path), ReadVocab(meta.Json<string[]>("tgt_vocab"), path), data);
    }

    /// <summary>Rebuilds the trained model saved in <paramref name="directory"/>, in evaluation mode.</summary>
    public static (EncoderDecoder Model, Saved Saved) Load(string directory)
    {
        Saved saved = Read(directory);
        EncoderDecoder model = Build(saved.Settings, saved.SrcVocab.Count, saved.TgtVocab.Count);
        model.LoadStateDict(saved.Data.Model, strict: true);
        model.Eval();
        return (model, saved);
    }

    /// <summary>Copies the saved optimizer state into <paramref name="optimizer"/>.</summary>
    public static void LoadOptimizer(Saved saved, Optimizer optimizer, string path) => CheckpointStore.LoadOptimizer(saved.Data, optimizer, path);

    private static Vocab ReadVocab(string[] tokens, string path)
    {
        if (tokens.Length < 4 || tokens[0] != Vocab.UnkToken || !tokens[1..4].SequenceEqual(TranslationData.ReservedTokens))
        {
            throw new InvalidDataException($"{path}: a vocabulary must start with <unk> <pad> <bos> <eos>.");
        }
        // Each token once: the counts tie, and the stable sort keeps the saved order, so every index is as saved.
        return new Vocab(tokens[1..]);
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
