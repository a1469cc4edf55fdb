using Nabla.Backends;
using Nabla.Backends.Cpu;
using Nabla.Jit;

namespace Nabla;

// The fused inference convolution that a BatchNorm folded into its weights runs as (see NN.ConvBatchNormFolding).
public partial class Tensor
{
    /// <summary>
    /// relu?(conv2d(input, weight, bias) + residual) in one kernel where the CPU backend can fuse it: a batched float32 input,
    /// no autograd to record (grad mode off, or nothing requires grad) and no trace running; otherwise (and always with the
    /// same result) the ops one after the other. <paramref name="weight"/> should be a tensor that does not change between
    /// calls: the kernel caches its Winograd transform by storage and version.
    /// </summary>
    /// <param name="input">[N, Cin, H, W] or [Cin, H, W].</param>
    /// <param name="weight">[Cout, Cin / groups, kh, kw].</param>
    /// <param name="bias">[Cout].</param>
    /// <param name="residual">Added to the convolution's output (its shape), or null.</param>
    /// <param name="relu">Whether ReLU is applied last.</param>
    /// <param name="stride">Step between windows.</param>
    /// <param name="padding">Zeros added on each side.</param>
    /// <param name="dilation">Spacing between kernel elements.</param>
    /// <param name="groups">Independent channel groups.</param>
    internal static Tensor Conv2dInference(Tensor input, Tensor weight, Tensor bias, Tensor? residual, bool relu, Pair2d stride, Pair2d padding, Pair2d dilation, int groups)
    {
        var p = new ConvParams(stride, padding, dilation, groups);
        CheckConvolution("Conv2d", input, weight, bias, [p.Stride.H, p.Stride.W], [p.Padding.H, p.Padding.W], [p.Dilation.H, p.Dilation.W], groups, outputPadding: null);
        if (input.Rank == 4 && input.DType == DType.Float32 && !Tracer.IsActive &&
            !Node.ShouldRecord(residual is null ? [input, weight, bias] : [input, weight, bias, residual]) &&
            Backend.Of("Conv2d", input, weight, bias) is CpuBackend cpu && (residual is null || Backend.Of("Conv2d", input, residual) is CpuBackend))
        {
            var g = p.Geometry(input.shape, weight.shape);
            int[] outputShape = [g.Batch, g.OutChannels, g.OutHeight, g.OutWidth];
            if (input.Count > 0 && Shape.CheckedNumel(outputShape, "Conv2d") > 0 &&
                (residual is null || residual.DType == DType.Float32 && residual.shape.AsSpan().SequenceEqual(outputShape)))
                return cpu.Conv2dInference(input.PackedForKernel(), weight.PackedForKernel(), bias.PackedForKernel(), residual?.PackedForKernel(), relu, g);
        }
        var result = Conv2d(input, weight, bias, stride, padding, dilation, groups);
        if (residual is not null) result += residual;
        return relu ? result.Relu() : result;
    }
}
