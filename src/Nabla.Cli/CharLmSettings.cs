namespace Nabla.Cli;

/// <summary>The options of <c>nabla train charlm</c>, with d2l's recipe (§8.6, §9.1) as defaults.</summary>
public sealed record CharLmSettings
{
    /// <summary>The recurrent cell: <c>rnn</c>, <c>gru</c> or <c>lstm</c>.</summary>
    public string Cell { get; init; } = "gru";

    /// <summary>Stacked recurrent layers.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Hidden units per layer (d2l: 256).</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Time steps per subsequence (d2l: 35).</summary>
    public int Steps { get; init; } = 35;

    /// <summary>Subsequences per minibatch (d2l: 32).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Random partitioning instead of d2l's default sequential partitioning.</summary>
    public bool RandomSampling { get; init; }

    /// <summary>Epochs (d2l: 500, under a minute on 2 cores; fewer stop before the text is learnt).</summary>
    public int Epochs { get; init; } = 500;

    /// <summary>Learning rate (d2l: 1 with SGD).</summary>
    public double LearningRate { get; init; } = 1;

    /// <summary>Optimizer name (see <see cref="OptimizerFactory.Names"/>; d2l: SGD).</summary>
    public string Optimizer { get; init; } = "sgd";

    /// <summary>Largest global gradient norm (d2l: 1).</summary>
    public double Clip { get; init; } = 1;

    /// <summary>Seed of the initial weights and of the minibatch offsets.</summary>
    public long Seed { get; init; }

    /// <summary>Corpus length in characters (d2l: 10,000; ≤ 0 for the whole book).</summary>
    public int MaxTokens { get; init; } = 10_000;

    /// <summary>Directory for the checkpoint and the plot; null: no checkpoint, plot in runs/charlm.</summary>
    public string? Checkpoint { get; init; }

    /// <summary>
    /// Continue the run saved in <see cref="Checkpoint"/> (or runs/charlm) up to <see cref="Epochs"/>: the checkpoint's
    /// recipe, weights, optimizer state and random generators, so that the result is the one an uninterrupted run gives.
    /// </summary>
    public bool Resume { get; init; }

    /// <summary>Start afresh in <c>Checkpoint</c> even though it holds a checkpoint, replacing it (without this, that is refused).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Print one JSON line with the results on stdout; everything else goes to stderr.</summary>
    public bool Json { get; init; }
}
