namespace Nabla.Cli;

/// <summary>
/// The recipe of <c>nabla train bert</c>; the defaults are d2l's (§15.10): 2 blocks of 128 hidden,
/// 2 heads, FFN 256, dropout 0.2, max length 64, batch 512, Adam lr 0.01, 50 steps.
/// </summary>
public sealed record BertSettings
{
    /// <summary>Optimizer steps in all (d2l: 50).</summary>
    public int Steps { get; init; } = 50;

    /// <summary>Sentence pairs per batch.</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>Positions per example, <c>&lt;cls&gt;</c> and both <c>&lt;sep&gt;</c> included.</summary>
    public int MaxLen { get; init; } = 64;

    /// <summary>Width of the token vectors.</summary>
    public int Hidden { get; init; } = 128;

    /// <summary>Width of the position-wise FFN.</summary>
    public int Ffn { get; init; } = 256;

    /// <summary>Attention heads.</summary>
    public int Heads { get; init; } = 2;

    /// <summary>Transformer encoder blocks.</summary>
    public int Blocks { get; init; } = 2;

    /// <summary>Dropout in the blocks.</summary>
    public double Dropout { get; init; } = 0.2;

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Seed of the weights, the data (pairs, masks, order) and dropout.</summary>
    public long Seed { get; init; }

    /// <summary>
    /// Draw new sentence pairs and masks for every epoch after the first (RoBERTa's dynamic masking) instead of
    /// d2l's one fixed set; on a small corpus the model then over-fits later.
    /// </summary>
    public bool Redraw { get; init; }

    /// <summary>
    /// A WikiText-2 or Brown Corpus directory, a plain-text file, <c>brown</c> or <c>timemachine</c>
    /// (<see cref="BertTrainingCorpus.Open"/>); null: the installed Brown Corpus, else the embedded Time Machine.
    /// </summary>
    public string? Data { get; init; }

    /// <summary>Directory for the checkpoint and the plot (null: no checkpoint, plot in runs/bert).</summary>
    public string? Checkpoint { get; init; }

    /// <summary>Continue the run saved in <see cref="Checkpoint"/> up to <see cref="Steps"/>.</summary>
    public bool Resume { get; init; }

    /// <summary>Start a fresh run in <see cref="Checkpoint"/> even though it holds a checkpoint, replacing it.</summary>
    public bool Overwrite { get; init; }

    /// <summary>One JSON line with the results on stdout; progress on stderr.</summary>
    public bool Json { get; init; }

    /// <summary>Stop as if Ctrl-C were pressed after this many steps (tests); 0: never.</summary>
    public int StopAfterSteps { get; init; }
}
