using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// The ImageNet ResNet-18 (<see cref="Pretrained.ResNet18(int)"/>) fed with Nabla.Vision's images, for
/// fine-tuning (d2l §14.2): images in [0, 1] with 1 channel (Fashion-MNIST: repeated to 3) or 3 (RGB)
/// at any size are scaled to 0–255, turned to BGR and centred by the package's mean image resized
/// bilinearly to the input's size (exactly <see cref="ResNet18Preprocessing"/> at 224×224), then run
/// through the network. The network's layers are this module's own children under ResNet's names
/// (<c>conv1</c> … <c>layer4</c>, <c>avgpool</c>, <c>fc</c>), so the state dict, <c>--freeze-until</c> and the
/// head (<c>fc</c>) read as ResNet's; the mean image is a non-persistent buffer.
/// Shape: [N, 1 or 3, H, W] in [0, 1] → [N, numClasses].
/// </summary>
public sealed class ImageNetResNet : Module<Tensor, Tensor>
{
    readonly Dictionary<(int, int), Tensor> meanBySize = [];

    // ResNet's layers in the order its forward runs them; held by name only, since a Module-typed
    // field would register the ResNet itself as a child and every weight twice.
    static readonly string[] Chain = ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool"];

    /// <summary>The head, ResNet's <c>fc</c>; setting it replaces it.</summary>
    public Linear Fc
    {
        get => (Linear)GetModule("fc")!;
        set => RegisterModule("fc", value ?? throw new ArgumentNullException(nameof(value), "ImageNetResNet.Fc: the head cannot be null."));
    }

    /// <summary>The mean image [3, 224, 224], BGR, 0–255.</summary>
    public Tensor MeanImage { get; }

    /// <summary>Takes over the layers of <paramref name="network"/> (a ResNet of 3 input channels), with the mean image of <paramref name="preprocessing"/>.</summary>
    public ImageNetResNet(ResNet network, ResNet18Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preprocessing);
        MeanImage = preprocessing.MeanImage;
        RegisterBuffer("mean_image", MeanImage, persistent: false);
        foreach (var (name, child) in network.NamedChildren()) RegisterModule(name, child);
    }

    /// <summary>
    /// The ImageNet ResNet-18 with a fresh head of <paramref name="numClasses"/> outputs, the backbone
    /// in training mode (BatchNorm statistics keep adapting, as in d2l's fine-tuning).
    /// </summary>
    public static ImageNetResNet Create(int numClasses)
    {
        var model = new ImageNetResNet(Pretrained.ResNet18(numClasses), Pretrained.ResNet18Preprocessing());
        model.Train();
        return model;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || input.Size(1) is not (1 or 3))
            throw new ShapeException($"ImageNetResNet: input must be images [N, 1 or 3, H, W], got {input.Shape}.");
        var rgb = input.Size(1) == 1 ? input.Expand(input.Size(0), 3, input.Size(2), input.Size(3)) : input;
        var x = rgb.Flip(1) * 255.0 - Mean(input.Size(2), input.Size(3));
        foreach (var name in Chain) x = ((Module<Tensor, Tensor>)GetModule(name)!).Call(x);
        return Fc.Call(x.Flatten(1));
    }

    Tensor Mean(int height, int width)
    {
        if (height == 224 && width == 224) return MeanImage;
        if (!meanBySize.TryGetValue((height, width), out var mean))
        {
            using var noGrad = Autograd.NoGrad();
            mean = Functional.Interpolate(MeanImage.Unsqueeze(0), size: new Pair2d(height, width), mode: "bilinear", alignCorners: false).Squeeze(0).Contiguous();
            meanBySize[(height, width)] = mean;
        }
        return mean;
    }
}
