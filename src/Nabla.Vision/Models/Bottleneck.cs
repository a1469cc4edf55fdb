using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// ResNet's bottleneck block (ResNet-50 and deeper): 1×1 reduce, 3×3 (carries the stride, as
/// torchvision's "ResNet v1.5"), 1×1 expand to 4× the width, each with BatchNorm, plus the
/// shortcut (identity or 1×1 convolution + BatchNorm), then ReLU. Keys as torchvision's.
/// Shape: [N, inChannels, H, W] → [N, 4·channels, ⌈H/stride⌉, ⌈W/stride⌉].
/// </summary>
public sealed class Bottleneck : Module<Tensor, Tensor>
{
    /// <summary>Output channels per "plane".</summary>
    public const int Expansion = 4;

    // Declared in torchvision's order: Module registers fields in declaration order.
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly Conv2d conv2;
    readonly BatchNorm2d bn2;
    readonly Conv2d conv3;
    readonly BatchNorm2d bn3;
    readonly ReLU relu = new();

    /// <summary>Projection shortcut, or null for the identity.</summary>
    public Sequential? Downsample { get; }

    /// <summary>A bottleneck block with <paramref name="channels"/> inner channels and 4× as many outputs.</summary>
    public Bottleneck(int inChannels, int channels, int stride = 1)
    {
        int outChannels = channels * Expansion;
        conv1 = new Conv2d(inChannels, channels, 1, bias: false);
        bn1 = new BatchNorm2d(channels);
        conv2 = new Conv2d(channels, channels, 3, stride: stride, padding: 1, bias: false);
        bn2 = new BatchNorm2d(channels);
        conv3 = new Conv2d(channels, outChannels, 1, bias: false);
        bn3 = new BatchNorm2d(outChannels);
        RegisterModule("conv1", conv1);
        RegisterModule("bn1", bn1);
        RegisterModule("conv2", conv2);
        RegisterModule("bn2", bn2);
        RegisterModule("conv3", conv3);
        RegisterModule("bn3", bn3);
        RegisterModule("relu", relu);
        if (stride != 1 || inChannels != outChannels)
        {
            Downsample = new Sequential(new Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), new BatchNorm2d(outChannels));
            RegisterModule("downsample", Downsample);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// In eval mode without autograd to record (and no forward hooks on the block's layers) each BatchNorm is folded into its
    /// convolution and the ReLUs and the residual add are applied as the convolutions write their outputs
    /// (<see cref="ConvBatchNormFolding"/>); the result is the same.
    /// </remarks>
    public override Tensor Forward(Tensor input)
    {
        if (FusedInference(input) is { } fused) return fused;
        var y = relu.Call(bn1.Call(conv1.Call(input)));
        y = relu.Call(bn2.Call(conv2.Call(y)));
        y = bn3.Call(conv3.Call(y));
        var identity = Downsample is null ? input : Downsample.Call(input);
        return relu.Call(y + identity);
    }

    /// <summary>The eval-mode forward with folded BatchNorms and fused ReLUs and residual add, or null where it does not apply.</summary>
    Tensor? FusedInference(Tensor input)
    {
        if (relu.HasForwardHooks || !ConvBatchNormFolding.Applies(input, conv1, bn1) || !ConvBatchNormFolding.Applies(input, conv2, bn2) ||
            !ConvBatchNormFolding.Applies(input, conv3, bn3)) return null;
        if (!ResNetFusion.TryIdentity(Downsample, input, out var identity)) return null;
        var y = ConvBatchNormFolding.Forward(input, conv1, bn1, relu: true);
        y = ConvBatchNormFolding.Forward(y, conv2, bn2, relu: true);
        return ConvBatchNormFolding.Forward(y, conv3, bn3, identity, relu: true);
    }
}
