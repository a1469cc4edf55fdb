using Nabla.Vision.Gan;

namespace Nabla.Cli;

/// <summary>The options of <c>nabla train gan</c>; what is null takes the kind's default (<see cref="GanRecipe.For"/>).</summary>
public sealed record GanSettings
{
    /// <summary>Which GAN.</summary>
    public GanKind Kind { get; init; }

    /// <summary>Total epochs over the training images.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Real images per step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam's learning rate of both networks; null: the kind's.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Channel multiplier f of both networks; null: 64 (d2l's).</summary>
    public int? Features { get; init; }

    /// <summary>The <c>--data</c> option (see <see cref="DataSource.Load"/>).</summary>
    public string? Data { get; init; }

    /// <summary>Use only the first this many training images (0: all).</summary>
    public int Limit { get; init; }

    /// <summary>Seed of the weights (seed), the noise (seed + 1), the shuffling (seed + 2) and the fixed sample noise (seed + 3).</summary>
    public long Seed { get; init; }

    /// <summary>Directory of the checkpoint, samples and plot; null: runs/gan-KIND without a checkpoint (unless stopped).</summary>
    public string? Checkpoint { get; init; }

    /// <summary>Continue the run saved in <see cref="Checkpoint"/> up to <see cref="Epochs"/> with its recipe.</summary>
    public bool Resume { get; init; }

    /// <summary>Start a fresh run in <see cref="Checkpoint"/> even though it holds a checkpoint, replacing it.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Print one JSON line with the results on stdout; progress goes to stderr.</summary>
    public bool Json { get; init; }

    /// <summary>Stop as if Ctrl-C were pressed after this many steps (tests); 0: never.</summary>
    public int StopAfterBatches { get; init; }
}
