namespace Nabla.NN;

// Pooling functions (torch.nn.functional.max_pool2d, avg_pool2d, adaptive_*, lp_pool2d, and the
// 1-D forms): the tensor ops in Ops/Pooling.cs, plus power-average pooling built from them.
public static partial class Functional
{
    /// <summary>
    /// 2-D max pooling (<c>F.max_pool2d</c>) of [N, C, H, W] or [C, H, W]; stride defaults to the kernel size. <paramref name="padding"/>
    /// is a size (−∞ on each side) or <c>"same"</c>: output ⌈H / stride⌉ × ⌈W / stride⌉ with TensorFlow's padding (see
    /// <see cref="SamePadding"/>; PyTorch has no "same" for pooling).
    /// </summary>
    public static Tensor MaxPool2d(Tensor input, Pair2d kernelSize, Pair2d? stride = null, ConvPadding padding = default, Pair2d? dilation = null, bool ceilMode = false)
    {
        if (padding.Mode is null) return input.MaxPool2d(kernelSize, stride, padding.Size, dilation, ceilMode);
        var s = stride ?? kernelSize;
        var d = dilation ?? 1;
        return SamePadded2d("MaxPool2d", input, padding, ceilMode, kernelSize, s, d, double.NegativeInfinity, x => x.MaxPool2d(kernelSize, s, 0, d));
    }

    /// <summary><see cref="MaxPool2d"/> returning the in-plane flat index of each maximum too (<c>return_indices=True</c>).</summary>
    public static (Tensor Values, Tensor Indices) MaxPool2dWithIndices(Tensor input, Pair2d kernelSize, Pair2d? stride = null, Pair2d padding = default,
        Pair2d? dilation = null, bool ceilMode = false) =>
        input.MaxPool2dWithIndices(kernelSize, stride, padding, dilation, ceilMode);

    /// <summary>1-D max pooling (<c>F.max_pool1d</c>) of [N, C, L] or [C, L]; <paramref name="padding"/> a number or <c>"same"</c> (output ⌈L / stride⌉).</summary>
    public static Tensor MaxPool1d(Tensor input, int kernelSize, int? stride = null, ConvPadding padding = default, int dilation = 1, bool ceilMode = false)
    {
        if (padding.Mode is null) return input.MaxPool1d(kernelSize, stride, OnePadding("MaxPool1d", padding), dilation, ceilMode);
        int s = stride ?? kernelSize;
        return SamePadded1d("MaxPool1d", input, padding, ceilMode, kernelSize, s, dilation, double.NegativeInfinity, x => x.MaxPool1d(kernelSize, s, 0, dilation));
    }

    /// <summary>
    /// 2-D average pooling (<c>F.avg_pool2d</c>) of [N, C, H, W] or [C, H, W]; stride defaults to the kernel size. <paramref name="padding"/>
    /// is a size (zeros on each side) or <c>"same"</c> (output ⌈H / stride⌉ × ⌈W / stride⌉, TensorFlow's padding; with
    /// <paramref name="countIncludePad"/> false each window is divided by its input pixels only, as TensorFlow does).
    /// </summary>
    public static Tensor AvgPool2d(Tensor input, Pair2d kernelSize, Pair2d? stride = null, ConvPadding padding = default, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null)
    {
        if (padding.Mode is null) return input.AvgPool2d(kernelSize, stride, padding.Size, ceilMode, countIncludePad, divisorOverride);
        var s = stride ?? kernelSize;
        Tensor Pool(Tensor x) => x.AvgPool2d(kernelSize, s, 0, false, true, divisorOverride);
        var output = SamePadded2d("AvgPool2d", input, padding, ceilMode, kernelSize, s, 1, 0, Pool);
        if (countIncludePad || divisorOverride is not null) return output;
        // Mean over the input pixels only: the window sums of a padded mask of ones count them.
        var ones = Tensor.Ones(input.Rank == 4 ? [1, 1, input.Size(-2), input.Size(-1)] : [1, input.Size(-2), input.Size(-1)], input.DType);
        return output / SamePadded2d("AvgPool2d", ones, padding, false, kernelSize, s, 1, 0, Pool);
    }

    /// <summary>
    /// 1-D average pooling (<c>F.avg_pool1d</c>) of [N, C, L] or [C, L]; <paramref name="padding"/> a number or <c>"same"</c> (output
    /// ⌈L / stride⌉, TensorFlow's padding, divided by the input pixels only when <paramref name="countIncludePad"/> is false).
    /// </summary>
    public static Tensor AvgPool1d(Tensor input, int kernelSize, int? stride = null, ConvPadding padding = default, bool ceilMode = false, bool countIncludePad = true)
    {
        if (padding.Mode is null) return input.AvgPool1d(kernelSize, stride, OnePadding("AvgPool1d", padding), ceilMode, countIncludePad);
        int s = stride ?? kernelSize;
        Tensor Pool(Tensor x) => x.AvgPool1d(kernelSize, s, 0, false, true);
        var output = SamePadded1d("AvgPool1d", input, padding, ceilMode, kernelSize, s, 1, 0, Pool);
        if (countIncludePad) return output;
        var ones = Tensor.Ones(input.Rank == 3 ? [1, 1, input.Size(-1)] : [1, input.Size(-1)], input.DType);
        return output / SamePadded1d("AvgPool1d", ones, padding, false, kernelSize, s, 1, 0, Pool);
    }

    // "same" pooling: the input padded explicitly with `value` by TensorFlow's rule, then pooled without padding.
    static Tensor SamePadded2d(string op, Tensor input, ConvPadding padding, bool ceilMode, Pair2d kernel, Pair2d stride, Pair2d dilation, double value, Func<Tensor, Tensor> pool)
    {
        CheckSamePooling(op, padding, ceilMode);
        if (input.Rank is not (3 or 4)) return pool(input); // reports the bad rank
        var (top, bottom) = SamePadding(input.Size(-2), kernel.H, stride.H, dilation.H);
        var (left, right) = SamePadding(input.Size(-1), kernel.W, stride.W, dilation.W);
        return pool(PadSides(PadSides(input, -2, top, bottom, value), -1, left, right, value));
    }

    static Tensor SamePadded1d(string op, Tensor input, ConvPadding padding, bool ceilMode, int kernel, int stride, int dilation, double value, Func<Tensor, Tensor> pool)
    {
        CheckSamePooling(op, padding, ceilMode);
        if (input.Rank is not (2 or 3)) return pool(input);
        var (before, after) = SamePadding(input.Size(-1), kernel, stride, dilation);
        return pool(PadSides(input, -1, before, after, value));
    }

    static void CheckSamePooling(string op, ConvPadding padding, bool ceilMode)
    {
        if (padding.Mode != "same")
            throw new ArgumentException($"{op}: padding must be a size or \"same\", got \"{padding.Mode}\".", nameof(padding));
        if (ceilMode)
            throw new ArgumentException($"{op}: padding=\"same\" fixes the output size; ceilMode does not apply.", nameof(ceilMode));
    }

    static int OnePadding(string op, ConvPadding padding) => padding.Size.H == padding.Size.W ? padding.Size.W
        : throw new ArgumentException($"{op}: padding must be one number or \"same\", got {padding}.", nameof(padding));

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
