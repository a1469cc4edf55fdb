using Nabla.Vision.Gan;

namespace Nabla.Cli;

/// <summary>The options of <c>nabla train gan</c>; what is null takes the kind's default (<see cref="GanRecipe.For"/>).</summary>
public sealed record GanSettings
{
    /// <summary>Which GAN.</summary>
    public GanKind Kind { get; init; }

    /// <summary>
    /// Channel multiplier f of both networks when <c>--features</c> is not given: 32, half of d2l 17.2's 64. d2l's f = 64 is
    /// for 64×64 colour images (Pokémon); these are 32×32 and grey, and the network already drops d2l's first (8f) layer for
    /// the smaller size. At 32 every kind meets the goals in the epochs below on two CPU cores (README, "GANs").
    /// </summary>
    public const int DefaultFeatures = 32;

    /// <summary>
    /// Epochs when <c>--epochs</c> is not given: 8 for DCGAN and the conditional GAN; 18 for WGAN-GP, whose critic takes 5 steps
    /// per generator step (at batch 32, 673 generator steps on the embedded sample; with fewer, some classes are missing).
    /// </summary>
    public static int DefaultEpochs(GanKind kind) => kind == GanKind.WganGp ? 18 : 8;

    /// <summary>Batch size when <c>--batch-size</c> is not given: 64, and 32 for WGAN-GP (twice the generator steps per epoch).</summary>
    public static int DefaultBatchSize(GanKind kind) => kind == GanKind.WganGp ? 32 : 64;

    /// <summary>
    /// Total epochs over the training images; null when <c>--epochs</c> is not given: the kind's <see cref="DefaultEpochs"/>, or
    /// on <see cref="Resume"/> the total of the run saved in the checkpoint.
    /// </summary>
    public int? Epochs { get; init; }

    /// <summary>Real images per step (the command's default: <see cref="DefaultBatchSize"/>).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam's learning rate of both networks; null: the kind's.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Channel multiplier f of both networks; null: <see cref="DefaultFeatures"/>.</summary>
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
