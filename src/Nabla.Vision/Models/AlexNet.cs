using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// AlexNet (Krizhevsky et al., 2012) with torchvision's submodule names (<c>features</c>,
/// <c>avgpool</c>, <c>classifier</c>). The constructor builds the course's version for
/// Fashion-MNIST (d2l §8.1: 96-256-384-384-256 channels, 11×11 stride-4 first conv, dropout after
/// each hidden Linear); <see cref="Torchvision"/> builds <c>torchvision.models.alexnet</c>.
/// Shape: [N, inChannels, 224, 224] → [N, numClasses] (any size ≥ 67 px works: the adaptive pool
/// brings the last feature map to 5×5, which it already is at 224 px).
/// </summary>
public sealed class AlexNet : Module<Tensor, Tensor>
{
    // The parts are read from the registry rather than held in auto-properties: an auto-property
    // would register under its own snake_case name (avg_pool) besides torchvision's avgpool.
    /// <summary>Convolutions, ReLUs and max-pools.</summary>
    public Sequential Features => (Sequential)GetModule("features")!;

    /// <summary>Adaptive average pool to the classifier's spatial size.</summary>
    public AdaptiveAvgPool2d AvgPool => (AdaptiveAvgPool2d)GetModule("avgpool")!;

    /// <summary>Fully connected layers with dropout.</summary>
    public Sequential Classifier => (Sequential)GetModule("classifier")!;

    AlexNet(Sequential features, AdaptiveAvgPool2d avgPool, Sequential classifier)
    {
        RegisterModule("features", features);
        RegisterModule("avgpool", avgPool);
        RegisterModule("classifier", classifier);
    }

    /// <summary>The course's AlexNet (d2l) for 1-channel 224×224 Fashion-MNIST.</summary>
    /// <param name="inChannels">Input channels (1 for Fashion-MNIST).</param>
    /// <param name="numClasses">Number of outputs.</param>
    /// <param name="width">Multiplies every channel and hidden-unit count (1 = the paper's widths).</param>
    /// <param name="dropout">Dropout probability in the classifier.</param>
    public AlexNet(int inChannels = 1, int numClasses = 10, double width = 1.0, double dropout = 0.5)
        : this(CourseFeatures(inChannels, width), new AdaptiveAvgPool2d(5), CourseClassifier(numClasses, width, dropout)) { }

    static Sequential CourseFeatures(int inChannels, double width)
    {
        int c1 = ModelWidth.Scale(96, width), c2 = ModelWidth.Scale(256, width), c3 = ModelWidth.Scale(384, width);
        return new Sequential(
            new Conv2d(inChannels, c1, 11, stride: 4, padding: 1), new ReLU(), new MaxPool2d(3, stride: 2),
            new Conv2d(c1, c2, 5, padding: 2), new ReLU(), new MaxPool2d(3, stride: 2),
            new Conv2d(c2, c3, 3, padding: 1), new ReLU(),
            new Conv2d(c3, c3, 3, padding: 1), new ReLU(),
            new Conv2d(c3, c2, 3, padding: 1), new ReLU(), new MaxPool2d(3, stride: 2));
    }

    /// <summary>
    /// The course's AlexNet with the paper's local response normalisation (Krizhevsky et al. 2012, §3.3–3.4): a
    /// <see cref="LocalResponseNorm"/>(5, α = 10⁻⁴, β = 0.75, k = 2) after the ReLU of the first and of the second convolution,
    /// before their max-pools, as the paper (and d2l's discussion of the original) places them; otherwise as the constructor's.
    /// The paper's overlapping 3×3 stride-2 pooling is the course's already. Shape: [N, inChannels, 224, 224] → [N, numClasses].
    /// </summary>
    /// <param name="inChannels">Input channels (1 for Fashion-MNIST).</param>
    /// <param name="numClasses">Number of outputs.</param>
    /// <param name="width">Multiplies every channel and hidden-unit count (1 = the paper's widths).</param>
    /// <param name="dropout">Dropout probability in the classifier.</param>
    public static AlexNet Original(int inChannels = 1, int numClasses = 10, double width = 1.0, double dropout = 0.5)
    {
        int c1 = ModelWidth.Scale(96, width), c2 = ModelWidth.Scale(256, width), c3 = ModelWidth.Scale(384, width);
        var features = new Sequential(
            new Conv2d(inChannels, c1, 11, stride: 4, padding: 1), new ReLU(), new LocalResponseNorm(5, 1e-4, 0.75, 2), new MaxPool2d(3, stride: 2),
            new Conv2d(c1, c2, 5, padding: 2), new ReLU(), new LocalResponseNorm(5, 1e-4, 0.75, 2), new MaxPool2d(3, stride: 2),
            new Conv2d(c2, c3, 3, padding: 1), new ReLU(),
            new Conv2d(c3, c3, 3, padding: 1), new ReLU(),
            new Conv2d(c3, c2, 3, padding: 1), new ReLU(), new MaxPool2d(3, stride: 2));
        return new AlexNet(features, new AdaptiveAvgPool2d(5), CourseClassifier(numClasses, width, dropout));
    }

    static Sequential CourseClassifier(int numClasses, double width, double dropout)
    {
        int c = ModelWidth.Scale(256, width), hidden = ModelWidth.Scale(4096, width);
        // d2l: Linear, ReLU, Dropout twice, then the output layer (keys classifier.0, .3, .6).
        return new Sequential(
            new Linear(c * 5 * 5, hidden), new ReLU(), new Dropout(dropout),
            new Linear(hidden, hidden), new ReLU(), new Dropout(dropout),
            new Linear(hidden, numClasses));
    }

    /// <summary>
    /// <c>torchvision.models.alexnet</c>: 64-192-384-256-256 channels, 6×6 adaptive pool, dropout before
    /// each hidden Linear; state-dict keys and shapes match torchvision's.
    /// </summary>
    public static AlexNet Torchvision(int numClasses = 1000, int inChannels = 3, double dropout = 0.5)
    {
        var features = new Sequential(
            new Conv2d(inChannels, 64, 11, stride: 4, padding: 2), new ReLU(), new MaxPool2d(3, stride: 2),
            new Conv2d(64, 192, 5, padding: 2), new ReLU(), new MaxPool2d(3, stride: 2),
            new Conv2d(192, 384, 3, padding: 1), new ReLU(),
            new Conv2d(384, 256, 3, padding: 1), new ReLU(),
            new Conv2d(256, 256, 3, padding: 1), new ReLU(), new MaxPool2d(3, stride: 2));
        var classifier = new Sequential(
            new Dropout(dropout), new Linear(256 * 6 * 6, 4096), new ReLU(),
            new Dropout(dropout), new Linear(4096, 4096), new ReLU(),
            new Linear(4096, numClasses));
        return new AlexNet(features, new AdaptiveAvgPool2d(6), classifier);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Classifier.Call(AvgPool.Call(Features.Call(input)).Flatten(1));
}
