using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// VGG (Simonyan &amp; Zisserman, 2014) with torchvision's layout: <c>features</c> (3×3 convolutions,
/// optional BatchNorm, ReLU, 2×2 max-pools, flat indices), <c>avgpool</c> (adaptive, 7×7) and
/// <c>classifier</c> (Linear-ReLU-Dropout twice, then the output Linear), so state-dict keys match
/// <c>torchvision.models.vgg11/16/19</c> (<c>features.0.weight</c>, <c>classifier.6.bias</c>).
/// The course's VGG-11 (d2l §8.2) is <see cref="VGG11"/> with 1 input channel and 10 classes.
/// Shape: [N, inChannels, H, W] → [N, numClasses], H and W ≥ 32.
/// </summary>
public sealed class VGG : Module<Tensor, Tensor>
{
    /// <summary>VGG-11 (configuration "A"): output channels, 0 for a max-pool.</summary>
    public static readonly int[] Vgg11Layout = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0];

    /// <summary>VGG-16 (configuration "D").</summary>
    public static readonly int[] Vgg16Layout = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];

    /// <summary>VGG-19 (configuration "E").</summary>
    public static readonly int[] Vgg19Layout = [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0];

    // The parts are read from the registry rather than held in auto-properties: an auto-property
    // would register under its own snake_case name (avg_pool) besides torchvision's avgpool.
    /// <summary>Convolution blocks.</summary>
    public Sequential Features => (Sequential)GetModule("features")!;

    /// <summary>Adaptive average pool to 7×7 (the identity at 224 px).</summary>
    public AdaptiveAvgPool2d AvgPool => (AdaptiveAvgPool2d)GetModule("avgpool")!;

    /// <summary>Fully connected head.</summary>
    public Sequential Classifier => (Sequential)GetModule("classifier")!;

    /// <summary>A VGG network from a layout of convolution widths (0 = max-pool).</summary>
    /// <param name="layout">Output channels of each 3×3 convolution, 0 for a 2×2 max-pool.</param>
    /// <param name="inChannels">Input channels (1 for Fashion-MNIST, 3 for ImageNet).</param>
    /// <param name="numClasses">Number of outputs.</param>
    /// <param name="width">Multiplies every channel and hidden-unit count.</param>
    /// <param name="batchNorm">Insert BatchNorm2d after each convolution (torchvision's <c>vgg11_bn</c>).</param>
    /// <param name="dropout">Dropout probability in the classifier.</param>
    public VGG(IReadOnlyList<int> layout, int inChannels = 1, int numClasses = 10, double width = 1.0, bool batchNorm = false, double dropout = 0.5)
    {
        var features = new Sequential();
        int channels = inChannels;
        foreach (int c in layout)
        {
            if (c == 0) { features.Append(new MaxPool2d(2, stride: 2)); continue; }
            int outChannels = ModelWidth.Scale(c, width);
            features.Append(new Conv2d(channels, outChannels, 3, padding: 1));
            if (batchNorm) features.Append(new BatchNorm2d(outChannels));
            features.Append(new ReLU());
            channels = outChannels;
        }
        int hidden = ModelWidth.Scale(4096, width);
        RegisterModule("features", features);
        RegisterModule("avgpool", new AdaptiveAvgPool2d(7));
        RegisterModule("classifier", new Sequential(
            new Linear(channels * 7 * 7, hidden), new ReLU(), new Dropout(dropout),
            new Linear(hidden, hidden), new ReLU(), new Dropout(dropout),
            new Linear(hidden, numClasses)));
    }

    /// <summary>
    /// A VGG network from the course's <c>conv_arch</c>: blocks of (number of 3×3 convolutions, output
    /// channels), each ending in a 2×2 max-pool; d2l's VGG-11 is ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)).
    /// </summary>
    public static VGG FromBlocks(IEnumerable<(int NumConvs, int OutChannels)> convArch, int inChannels = 1, int numClasses = 10, double width = 1.0, bool batchNorm = false)
    {
        ArgumentNullException.ThrowIfNull(convArch);
        var layout = new List<int>();
        foreach (var (numConvs, outChannels) in convArch)
        {
            for (int i = 0; i < numConvs; i++) layout.Add(outChannels);
            layout.Add(0);
        }
        return new VGG(layout, inChannels, numClasses, width, batchNorm);
    }

    /// <summary>VGG-11; the course's network with the defaults (1 channel, 10 classes).</summary>
    public static VGG VGG11(int inChannels = 1, int numClasses = 10, double width = 1.0, bool batchNorm = false) =>
        new(Vgg11Layout, inChannels, numClasses, width, batchNorm);

    /// <summary>VGG-16.</summary>
    public static VGG VGG16(int inChannels = 1, int numClasses = 10, double width = 1.0, bool batchNorm = false) =>
        new(Vgg16Layout, inChannels, numClasses, width, batchNorm);

    /// <summary>VGG-19.</summary>
    public static VGG VGG19(int inChannels = 1, int numClasses = 10, double width = 1.0, bool batchNorm = false) =>
        new(Vgg19Layout, inChannels, numClasses, width, batchNorm);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Classifier.Call(AvgPool.Call(Features.Call(input)).Flatten(1));
}
