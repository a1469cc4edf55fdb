namespace Nabla.Cli;

/// <summary>
/// The options of <c>nabla train seq2seq</c>; <see cref="ForArch"/> gives the course's recipe of each architecture
/// (d2l §9.7 GRU, §10.4 Bahdanau, §10.7 Transformer).
/// </summary>
public sealed record Seq2SeqSettings
{
    /// <summary>The architectures <c>--arch</c> accepts.</summary>
    public static IReadOnlyList<string> Archs { get; } = ["gru", "bahdanau", "transformer"];

    /// <summary>gru, bahdanau or transformer.</summary>
    public string Arch { get; init; } = "gru";

    /// <summary>Embedding size of the recurrent models (d2l: 32); the Transformer's embeddings have <see cref="Hidden"/> features.</summary>
    public int Embed { get; init; } = 32;

    /// <summary>Hidden units of the GRUs, or the Transformer's d_model (d2l: 32).</summary>
    public int Hidden { get; init; } = 32;

    /// <summary>GRU layers, or Transformer blocks in the encoder and in the decoder (d2l: 2).</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Attention heads of the Transformer (d2l: 4).</summary>
    public int Heads { get; init; } = 4;

    /// <summary>Hidden units of the Transformer's position-wise feed-forward networks (d2l: 64).</summary>
    public int FfnHidden { get; init; } = 64;

    /// <summary>Dropout (d2l: 0.1).</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>Pairs per minibatch (d2l: 64).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Tokens per sentence, &lt;eos&gt; included (d2l: 10).</summary>
    public int Steps { get; init; } = 10;

    /// <summary>Adam's learning rate (d2l: 0.005).</summary>
    public double LearningRate { get; init; } = 0.005;

    /// <summary>Epochs (d2l: 300 GRU, 250 Bahdanau, 200 Transformer).</summary>
    public int Epochs { get; init; } = 300;

    /// <summary>Pairs read from the start of fra-eng (d2l: 600); 0 for all 18,066.</summary>
    public int Pairs { get; init; } = 600;

    /// <summary>Share of the distinct English sentences held out for the corpus BLEU.</summary>
    public double TestFraction { get; init; } = 0.1;

    /// <summary>Largest global gradient norm (d2l: 1).</summary>
    public double Clip { get; init; } = 1;

    /// <summary>Seed of the split, the initial weights, the shuffling and dropout.</summary>
    public long Seed { get; init; }

    /// <summary>Directory for the checkpoint and the plot; null: no checkpoint, plot in runs/seq2seq-ARCH.</summary>
    public string? Checkpoint { get; init; }

    /// <summary>Continue the run saved in <see cref="Checkpoint"/> up to <see cref="Epochs"/>, bit for bit as if never stopped.</summary>
    public bool Resume { get; init; }

    /// <summary>Start a fresh run in <see cref="Checkpoint"/> even though it holds a checkpoint, replacing it.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Print one JSON line with the results on stdout; everything else goes to stderr.</summary>
    public bool Json { get; init; }

    /// <summary>Stop as if Ctrl-C were pressed once this many batches have run (tests); 0: never.</summary>
    public int StopAfterBatches { get; init; }

    /// <summary>The course's recipe for <paramref name="arch"/>.</summary>
    /// <exception cref="ArgumentException">Not one of <see cref="Archs"/>.</exception>
    public static Seq2SeqSettings ForArch(string arch) => arch switch
    {
        "gru" => new Seq2SeqSettings { Arch = "gru", Epochs = 300 },
        "bahdanau" => new Seq2SeqSettings { Arch = "bahdanau", Epochs = 250 },
        "transformer" => new Seq2SeqSettings { Arch = "transformer", Epochs = 200 },
        _ => throw new ArgumentException($"--arch: unknown architecture '{arch}'. Architectures: {string.Join(", ", Archs)}."),
    };

    /// <summary>The recipe in words, for the first line of the run.</summary>
    public string Recipe()
    {
        string model = Arch == "transformer"
            ? FormattableString.Invariant($"Transformer, {Layers} blocks, d_model {Hidden}, {Heads} heads, ffn {FfnHidden}")
            : FormattableString.Invariant($"{(Arch == "gru" ? "GRU" : "GRU with Bahdanau attention")}, {Layers} layers, embed {Embed}, hidden {Hidden}");
        string pairs = Pairs > 0 ? FormattableString.Invariant($"first {Pairs:N0} pairs") : "all pairs";
        return FormattableString.Invariant(
            $"{model}, dropout {Dropout}; {pairs} of fra-eng, {Steps} steps; {Epochs} epochs, batch {BatchSize}, Adam lr {LearningRate}, clip {Clip}, seed {Seed}");
    }
}
