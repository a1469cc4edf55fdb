using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// Inception block (Szegedy et al., 2015; d2l §8.4): four parallel paths whose outputs are
/// concatenated along channels: 1×1; 1×1 → 3×3; 1×1 → 5×5; 3×3 max-pool → 1×1. Submodules are
/// named as torchvision's (<c>branch1</c>, <c>branch2.0</c>, … <c>branch4.1</c>).
/// Shape: [N, inChannels, H, W] → [N, c1 + c2.Out + c3.Out + c4, H, W].
/// </summary>
public sealed class Inception : Module<Tensor, Tensor>
{
    /// <summary>1×1 path.</summary>
    public BasicConv2d Branch1 { get; }

    /// <summary>1×1 then 3×3 path.</summary>
    public Sequential Branch2 { get; }

    /// <summary>1×1 then 5×5 path (3×3 in torchvision's implementation).</summary>
    public Sequential Branch3 { get; }

    /// <summary>Max-pool then 1×1 path.</summary>
    public Sequential Branch4 { get; }

    /// <summary>Output channels (sum over the paths).</summary>
    public int OutChannels { get; }

    /// <summary>An Inception block with d2l's argument order.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="c1">Output channels of the 1×1 path.</param>
    /// <param name="c2">(reduce, out) channels of the 3×3 path.</param>
    /// <param name="c3">(reduce, out) channels of the 5×5 path.</param>
    /// <param name="c4">Output channels of the pool path.</param>
    /// <param name="batchNorm">BatchNorm in every convolution block (torchvision).</param>
    /// <param name="branch3KernelSize">5 as in the paper and the course; torchvision uses 3.</param>
    /// <param name="ceilModePool">Ceil mode in the pool path's max-pool (torchvision).</param>
    public Inception(int inChannels, int c1, (int Reduce, int Out) c2, (int Reduce, int Out) c3, int c4,
        bool batchNorm = false, int branch3KernelSize = 5, bool ceilModePool = false)
    {
        Branch1 = new BasicConv2d(inChannels, c1, 1, batchNorm: batchNorm);
        Branch2 = new Sequential(
            new BasicConv2d(inChannels, c2.Reduce, 1, batchNorm: batchNorm),
            new BasicConv2d(c2.Reduce, c2.Out, 3, padding: 1, batchNorm: batchNorm));
        Branch3 = new Sequential(
            new BasicConv2d(inChannels, c3.Reduce, 1, batchNorm: batchNorm),
            new BasicConv2d(c3.Reduce, c3.Out, branch3KernelSize, padding: branch3KernelSize / 2, batchNorm: batchNorm));
        Branch4 = new Sequential(
            new MaxPool2d(3, stride: 1, padding: 1, ceilMode: ceilModePool),
            new BasicConv2d(inChannels, c4, 1, batchNorm: batchNorm));
        OutChannels = c1 + c2.Out + c3.Out + c4;
        RegisterModule("branch1", Branch1);
        RegisterModule("branch2", Branch2);
        RegisterModule("branch3", Branch3);
        RegisterModule("branch4", Branch4);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Tensor.Cat([Branch1.Call(input), Branch2.Call(input), Branch3.Call(input), Branch4.Call(input)], dim: 1);
}
