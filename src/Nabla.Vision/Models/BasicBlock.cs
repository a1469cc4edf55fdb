using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// ResNet's basic residual block (He et al., 2016; d2l §8.6): y = ReLU(x̂ + BN(conv3×3(ReLU(BN(conv3×3(x)))))),
/// with x̂ = x, or a strided 1×1 convolution + BatchNorm (<c>downsample</c>) when the shape changes.
/// Keys as torchvision's (<c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c>, <c>downsample.0</c>, <c>downsample.1</c>).
/// Shape: [N, inChannels, H, W] → [N, channels, ⌈H/stride⌉, ⌈W/stride⌉].
/// </summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    /// <summary>Output channels per input "plane" (1 for the basic block).</summary>
    public const int Expansion = 1;

    /// <summary>First 3×3 convolution (carries the stride).</summary>
    public Conv2d Conv1 { get; }

    /// <summary>BatchNorm after the first convolution.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>Second 3×3 convolution.</summary>
    public Conv2d Conv2 { get; }

    /// <summary>BatchNorm after the second convolution.</summary>
    public BatchNorm2d Bn2 { get; }

    readonly ReLU relu = new();

    /// <summary>Projection shortcut (1×1 convolution + BatchNorm), or null for the identity.</summary>
    public Sequential? Downsample { get; }

    /// <summary>A basic block; adds a projection shortcut when stride ≠ 1 or the channel count changes.</summary>
    public BasicBlock(int inChannels, int channels, int stride = 1)
    {
        Conv1 = new Conv2d(inChannels, channels, 3, stride: stride, padding: 1, bias: false);
        Bn1 = new BatchNorm2d(channels);
        Conv2 = new Conv2d(channels, channels, 3, padding: 1, bias: false);
        Bn2 = new BatchNorm2d(channels);
        RegisterModule("conv1", Conv1);
        RegisterModule("bn1", Bn1);
        RegisterModule("relu", relu);
        RegisterModule("conv2", Conv2);
        RegisterModule("bn2", Bn2);
        if (stride != 1 || inChannels != channels)
        {
            Downsample = new Sequential(new Conv2d(inChannels, channels, 1, stride: stride, bias: false), new BatchNorm2d(channels));
            RegisterModule("downsample", Downsample);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// In eval mode without autograd to record (and no forward hooks on the block's layers) the block runs as three fused
    /// convolutions at most: each BatchNorm folded into its convolution, the first ReLU and the residual add + last ReLU
    /// applied as the convolutions write their outputs (<see cref="ConvBatchNormFolding"/>); the result is the same.
    /// </remarks>
    public override Tensor Forward(Tensor input)
    {
        if (FusedInference(input) is { } fused) return fused;
        var y = relu.Call(Bn1.Call(Conv1.Call(input)));
        y = Bn2.Call(Conv2.Call(y));
        var identity = Downsample is null ? input : Downsample.Call(input);
        return relu.Call(y + identity);
    }

    /// <summary>The eval-mode forward with folded BatchNorms and fused ReLU and residual add, or null where it does not apply.</summary>
    Tensor? FusedInference(Tensor input)
    {
        if (relu.HasForwardHooks || !ConvBatchNormFolding.Applies(input, Conv1, Bn1) || !ConvBatchNormFolding.Applies(input, Conv2, Bn2)) return null;
        if (!ResNetFusion.TryIdentity(Downsample, input, out var identity)) return null;
        var y = ConvBatchNormFolding.Forward(input, Conv1, Bn1, relu: true);
        return ConvBatchNormFolding.Forward(y, Conv2, Bn2, identity, relu: true);
    }
}
