using Nabla.Vision;

namespace Nabla.Cli;

/// <summary>
/// A model's default recipe on the embedded Fashion-MNIST sample (6,000 training images). The course's
/// recipes are made for the full 60,000: on a tenth of the images they take a tenth of the optimizer's
/// steps, too few for a slow starter such as the sigmoid LeNet (0.26 test accuracy after 10 epochs of
/// batch 256). A smaller batch and more epochs give about the steps of the course's run.
/// </summary>
/// <param name="Epochs">Epochs on the sample.</param>
/// <param name="BatchSize">Batch size on the sample.</param>
public sealed record SampleRecipe(int Epochs, int BatchSize)
{
    /// <summary>The line that says, before training, that the sample's recipe replaces the course's and why.</summary>
    public string Describe(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return $"On the sample {spec.Name} trains {Epochs} epochs of batch {BatchSize} ({Steps(Epochs, BatchSize, FashionMnist.SampleTrainCount):N0} steps), " +
            $"not the course's {spec.Epochs} epochs of batch {spec.BatchSize}, which make {Steps(spec.Epochs, spec.BatchSize, FullTrainCount):N0} steps on the full " +
            $"{FullTrainCount:N0} images but only {Steps(spec.Epochs, spec.BatchSize, FashionMnist.SampleTrainCount):N0} here; --epochs and --batch-size choose.";
    }

    /// <summary>Training images of the full Fashion-MNIST.</summary>
    public const int FullTrainCount = 60_000;

    // Optimizer steps of a run: the last, smaller batch of an epoch is a step too.
    private static int Steps(int epochs, int batchSize, int images) => epochs * ((images + batchSize - 1) / batchSize);
}
