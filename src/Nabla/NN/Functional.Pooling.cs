namespace Nabla.NN;

// Pooling functions (torch.nn.functional.max_pool2d, avg_pool2d, adaptive_*, lp_pool2d, and the
// 1-D forms): the tensor ops in Ops/Pooling.cs, plus power-average pooling built from them.
public static partial class Functional
{
    /// <summary>2-D max pooling (<c>F.max_pool2d</c>) of [N, C, H, W] or [C, H, W]; stride defaults to the kernel size.</summary>
    public static Tensor MaxPool2d(Tensor input, Pair2d kernelSize, Pair2d? stride = null, Pair2d padding = default, Pair2d? dilation = null, bool ceilMode = false) =>
        input.MaxPool2d(kernelSize, stride, padding, dilation, ceilMode);

    /// <summary><see cref="MaxPool2d"/> returning the in-plane flat index of each maximum too (<c>return_indices=True</c>).</summary>
    public static (Tensor Values, Tensor Indices) MaxPool2dWithIndices(Tensor input, Pair2d kernelSize, Pair2d? stride = null, Pair2d padding = default,
        Pair2d? dilation = null, bool ceilMode = false) =>
        input.MaxPool2dWithIndices(kernelSize, stride, padding, dilation, ceilMode);

    /// <summary>1-D max pooling (<c>F.max_pool1d</c>) of [N, C, L] or [C, L].</summary>
    public static Tensor MaxPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) =>
        input.MaxPool1d(kernelSize, stride, padding, dilation, ceilMode);

    /// <summary>2-D average pooling (<c>F.avg_pool2d</c>) of [N, C, H, W] or [C, H, W]; stride defaults to the kernel size.</summary>
    public static Tensor AvgPool2d(Tensor input, Pair2d kernelSize, Pair2d? stride = null, Pair2d padding = default, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null) =>
        input.AvgPool2d(kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride);

    /// <summary>1-D average pooling (<c>F.avg_pool1d</c>) of [N, C, L] or [C, L].</summary>
    public static Tensor AvgPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) =>
        input.AvgPool1d(kernelSize, stride, padding, ceilMode, countIncludePad);

    /// <summary>Adaptive average pooling (<c>F.adaptive_avg_pool2d</c>) to a fixed output size, whatever the input size.</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, Pair2d outputSize) => input.AdaptiveAvgPool2d(outputSize);

    /// <summary>Adaptive max pooling (<c>F.adaptive_max_pool2d</c>) to a fixed output size.</summary>
    public static Tensor AdaptiveMaxPool2d(Tensor input, Pair2d outputSize) => input.AdaptiveMaxPool2d(outputSize);

    /// <summary><see cref="AdaptiveMaxPool2d"/> returning the in-plane flat index of each maximum too.</summary>
    public static (Tensor Values, Tensor Indices) AdaptiveMaxPool2dWithIndices(Tensor input, Pair2d outputSize) => input.AdaptiveMaxPool2dWithIndices(outputSize);

    /// <summary>
    /// Power-average pooling (<c>F.lp_pool2d</c>): (Σ_window xᵖ)^(1/p), computed as PyTorch does,
    /// (AvgPool(xᵖ)·kh·kw)^(1/p) with the sign of the sum kept and negatives clipped to zero before the root.
    /// p = 2 gives the L2 pooling of the course; p → ∞ tends to max pooling.
    /// </summary>
    public static Tensor LPPool2d(Tensor input, double normType, Pair2d kernelSize, Pair2d? stride = null, bool ceilMode = false)
    {
        var output = input.Pow(normType).AvgPool2d(kernelSize, stride, 0, ceilMode);
        return (output.Sign() * output.Abs().Relu()).Mul(kernelSize.H * kernelSize.W).Pow(1.0 / normType);
    }
}
