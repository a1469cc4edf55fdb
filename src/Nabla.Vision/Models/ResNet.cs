using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// ResNet (He et al., 2016) with torchvision's layout: a 7×7 stride-2 stem (<c>conv1</c>,
/// <c>bn1</c>, <c>relu</c>, <c>maxpool</c>), four stages <c>layer1</c>…<c>layer4</c> of residual
/// blocks (64, 128, 256, 512 planes; stages 2–4 halve the resolution), global average pooling and
/// <c>fc</c>. State-dict keys match <c>torchvision.models.resnet18/34/50</c>
/// (<c>layer1.0.bn1.running_mean</c>). The course trains ResNet-18 on 1-channel 96×96 Fashion-MNIST
/// (d2l §8.6), the defaults here. One deliberate difference from d2l's <c>Residual</c>: its
/// convolutions carry biases and its 1×1 shortcut has no BatchNorm; here the blocks are torchvision's
/// (bias-free convolutions, each followed by BatchNorm, shortcut = 1×1 convolution + BatchNorm), so
/// torchvision's weights load as they are. The depth, widths, strides and stem are the course's.
/// Shape: [N, inChannels, H, W] → [N, numClasses].
/// </summary>
public sealed class ResNet : Module<Tensor, Tensor>
{
    // Fields register before explicit registrations, so only the stem is held in fields: the
    // children then come in torchvision's order (conv1, bn1, relu, maxpool, layer1…4, avgpool, fc),
    // the order FineTuning.FreezeUntil counts along.
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly ReLU relu = new();
    readonly MaxPool2d maxpool = new(3, stride: 2, padding: 1);
    readonly Sequential[] layers = new Sequential[4];

    /// <summary>
    /// Output layer (registered after the stages, so it is not a field: fields register first).
    /// Setting it replaces the head, as <c>model.fc = nn.Linear(512, k)</c> in PyTorch (fine-tuning on other classes).
    /// </summary>
    public Linear Fc
    {
        get => (Linear)GetModule("fc")!;
        set => RegisterModule("fc", value ?? throw new ArgumentNullException(nameof(value), "ResNet.Fc: the output layer cannot be null."));
    }

    /// <summary>The stage <paramref name="index"/> (1–4), torchvision's <c>layer{index}</c>.</summary>
    public Sequential Layer(int index) => layers[index - 1];

    /// <summary>A ResNet with the given blocks per stage.</summary>
    /// <param name="bottleneck">Bottleneck blocks (ResNet-50) instead of basic blocks.</param>
    /// <param name="blocksPerStage">Blocks in each of the four stages, e.g. [2, 2, 2, 2] for ResNet-18.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="numClasses">Number of outputs.</param>
    /// <param name="width">Multiplies every channel count.</param>
    public ResNet(bool bottleneck, IReadOnlyList<int> blocksPerStage, int inChannels = 1, int numClasses = 10, double width = 1.0)
    {
        if (blocksPerStage.Count != 4) throw new ArgumentException($"ResNet: blocksPerStage needs 4 entries, got {blocksPerStage.Count}.", nameof(blocksPerStage));
        int channels = ModelWidth.Scale(64, width);
        conv1 = new Conv2d(inChannels, channels, 7, stride: 2, padding: 3, bias: false);
        bn1 = new BatchNorm2d(channels);
        RegisterModule("conv1", conv1);
        RegisterModule("bn1", bn1);
        RegisterModule("relu", relu);
        RegisterModule("maxpool", maxpool);
        int[] planes = [64, 128, 256, 512];
        for (int stage = 0; stage < 4; stage++)
        {
            var layer = new Sequential();
            int p = ModelWidth.Scale(planes[stage], width);
            for (int block = 0; block < blocksPerStage[stage]; block++)
            {
                int stride = block == 0 && stage > 0 ? 2 : 1;
                if (bottleneck)
                {
                    layer.Append(new Bottleneck(channels, p, stride));
                    channels = p * Bottleneck.Expansion;
                }
                else
                {
                    layer.Append(new BasicBlock(channels, p, stride));
                    channels = p * BasicBlock.Expansion;
                }
            }
            layers[stage] = layer;
            RegisterModule($"layer{stage + 1}", layer);
        }
        RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        RegisterModule("fc", new Linear(channels, numClasses));
    }

    /// <summary>ResNet-18: basic blocks [2, 2, 2, 2] (the course's ResNet with the defaults).</summary>
    public static ResNet ResNet18(int inChannels = 1, int numClasses = 10, double width = 1.0) => new(false, [2, 2, 2, 2], inChannels, numClasses, width);

    /// <summary>ResNet-34: basic blocks [3, 4, 6, 3].</summary>
    public static ResNet ResNet34(int inChannels = 1, int numClasses = 10, double width = 1.0) => new(false, [3, 4, 6, 3], inChannels, numClasses, width);

    /// <summary>ResNet-50: bottleneck blocks [3, 4, 6, 3].</summary>
    public static ResNet ResNet50(int inChannels = 1, int numClasses = 10, double width = 1.0) => new(true, [3, 4, 6, 3], inChannels, numClasses, width);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Fc.Call(Features(input));

    /// <summary>
    /// The globally average-pooled features that <see cref="Fc"/> classifies (timm's
    /// <c>forward_features</c> + pooling): what an image featurizer outputs.
    /// Shape: [N, inChannels, H, W] → [N, Fc.InFeatures].
    /// </summary>
    /// <remarks>
    /// In eval mode without autograd to record the stem's BatchNorm is folded into its convolution with the ReLU fused
    /// (and the blocks do the same, see <see cref="BasicBlock.Forward"/>), unless forward hooks are set on those layers.
    /// </remarks>
    public Tensor Features(Tensor input)
    {
        var stem = !relu.HasForwardHooks && ConvBatchNormFolding.Applies(input, conv1, bn1)
            ? ConvBatchNormFolding.Forward(input, conv1, bn1, relu: true)
            : relu.Call(bn1.Call(conv1.Call(input)));
        var x = maxpool.Call(stem);
        foreach (var layer in layers) x = layer.Call(x);
        var avgpool = (AdaptiveAvgPool2d)GetModule("avgpool")!;
        return avgpool.Call(x).Flatten(1);
    }
}
