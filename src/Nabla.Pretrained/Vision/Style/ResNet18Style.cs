using Nabla.NN;

namespace Nabla.Vision.Style;

/// <summary>
/// Neural style transfer (<see cref="StyleTransfer"/>) on the features of the ImageNet-pretrained ResNet-18
/// (<see cref="Models.Pretrained.ResNet18(int)"/>), in place of the course's VGG-19, which no registry here has. The image is
/// optimised in d2l's normalised space (<see cref="Normalize"/>) and mapped to the network's own input by a fixed first layer.
/// <para>
/// The layers, chosen as d2l chooses VGG-19's (style from several depths, shallow to deep; content from one deep layer at
/// 1/8 of the resolution): style at <c>relu</c> (the stem, 64 channels, 1/2), <c>layer1</c> (64, 1/4), <c>layer2</c>
/// (128, 1/8) and <c>layer3</c> (256, 1/16), as d2l's conv1_1 … conv5_1 span 1 to 1/16; content at <c>layer2</c>, the
/// counterpart of d2l's conv4_4 (1/8). <c>layer4</c> (1/32) is not used, so the network is cut after <c>layer3</c>.
/// </para>
/// </summary>
public static class ResNet18Style
{
    /// <summary>torchvision's ImageNet channel means (RGB), d2l's <c>rgb_mean</c>.</summary>
    public static IReadOnlyList<double> Mean { get; } = [0.485, 0.456, 0.406];

    /// <summary>torchvision's ImageNet channel standard deviations (RGB), d2l's <c>rgb_std</c>.</summary>
    public static IReadOnlyList<double> Std { get; } = [0.229, 0.224, 0.225];

    /// <summary>The weight of the style loss for these features (d2l's 10⁴ is VGG-19's); content 1 and TV 10 as d2l.</summary>
    public const double StyleWeight = 1e4;

    /// <summary>The content layer.</summary>
    public static IReadOnlyList<string> ContentLayers { get; } = ["layer2"];

    /// <summary>The style layers.</summary>
    public static IReadOnlyList<string> StyleLayers { get; } = ["relu", "layer1", "layer2", "layer3"];

    /// <summary>
    /// The feature network: <c>input</c> (normalised RGB → BGR 0–255 minus the channel means of the package's mean image),
    /// then ResNet-18's <c>conv1</c>, <c>bn1</c>, <c>relu</c>, <c>maxpool</c>, <c>layer1</c> … <c>layer3</c>, with the
    /// pretrained weights.
    /// Shape: [N, 3, H, W] normalised → [N, 256, H/16, W/16].
    /// </summary>
    /// <exception cref="FileNotFoundException">The package's model files are missing.</exception>
    public static Sequential FeatureNetwork()
    {
        var resnet = Models.Pretrained.ResNet18();
        Tensor meanImage = Models.Pretrained.ResNet18Preprocessing().MeanImage;
        double[] bgrMean = meanImage.To(DType.Float64).Mean([1, 2]).ToArray<double>();
        var layers = new List<(string, Module<Tensor, Tensor>)> { ("input", new ImageNetInput(bgrMean)) };
        foreach (var (name, child) in resnet.NamedChildren())
        {
            layers.Add((name, (Module<Tensor, Tensor>)child));
            if (name == "layer3") break;
        }
        var network = new Sequential([.. layers]);
        network.Eval();
        network.RequiresGrad(false);
        return network;
    }

    /// <summary>A style transfer on <see cref="FeatureNetwork"/> with <see cref="ContentLayers"/> and <see cref="StyleLayers"/>.</summary>
    /// <exception cref="FileNotFoundException">The package's model files are missing.</exception>
    public static StyleTransfer Create() => new(FeatureNetwork(), ContentLayers, StyleLayers);

    /// <summary>d2l's <c>preprocess</c> after the resize: (x − <see cref="Mean"/>) / <see cref="Std"/>. Shape: [N, 3, H, W] in [0, 1] → the same.</summary>
    public static Tensor Normalize(Tensor image) => (image - Channels(Mean, image)) / Channels(Std, image);

    /// <summary>d2l's <c>postprocess</c>: x·<see cref="Std"/> + <see cref="Mean"/>, clamped to [0, 1]. Shape: [N, 3, H, W] → the same.</summary>
    public static Tensor Denormalize(Tensor image) => (image * Channels(Std, image) + Channels(Mean, image)).Clamp(0, 1);

    private static Tensor Channels(IReadOnlyList<double> values, Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Rank != 4 || image.Shape[1] != 3)
        {
            throw new ShapeException($"ResNet18Style: expects RGB images [N, 3, H, W], got shape {image.Shape}.");
        }
        return Tensor.From(values.Select(v => (float)v).ToArray(), 1, 3, 1, 1).To(image.DType);
    }
}
