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
        int sampleSteps = Epochs * (FashionMnist.SampleTrainCount / BatchSize);
        int courseSteps = spec.Epochs * (60_000 / spec.BatchSize);
        return $"On the sample {spec.Name} trains {Epochs} epochs of batch {BatchSize} ({sampleSteps:N0} steps), " +
            $"not the course's {spec.Epochs} epochs of batch {spec.BatchSize}, which make {courseSteps:N0} steps on the full 60,000 images " +
            $"but only {spec.Epochs * (FashionMnist.SampleTrainCount / spec.BatchSize):N0} here; --epochs and --batch-size choose.";
    }
}
