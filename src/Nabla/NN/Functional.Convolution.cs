namespace Nabla.NN;

// Convolution functions (torch.nn.functional.conv1d / conv2d / conv_transpose2d): the tensor ops
// in Ops/Convolution.cs plus PyTorch's string paddings "valid" and "same".
public static partial class Functional
{
    /// <summary>
    /// 2-D convolution (<c>F.conv2d</c>) of input [N, Cin, H, W] (or [Cin, H, W]) by weight [Cout, Cin / groups, kh, kw],
    /// plus bias [Cout]. <paramref name="padding"/> is a size, <c>"valid"</c> (none) or <c>"same"</c>: output ⌈H / stride⌉ ×
    /// ⌈W / stride⌉, TensorFlow's rule (see <see cref="SamePadding"/>; for stride 1 PyTorch's, which refuses larger strides).
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Pair2d? stride = null, ConvPadding padding = default,
        Pair2d? dilation = null, int groups = 1)
    {
        var s = stride ?? 1;
        var d = dilation ?? 1;
        if (padding.Mode is null) return Tensor.Conv2d(input, weight, bias, s, padding.Size, d, groups);
        if (padding.Mode == "valid") return Tensor.Conv2d(input, weight, bias, s, 0, d, groups);
        CheckSamePadding("Conv2d", padding);
        if (weight.Rank != 4 || input.Rank is not (3 or 4)) return Tensor.Conv2d(input, weight, bias, s, 0, d, groups); // reports the bad shape
        var (top, bottom) = SamePadding(input.Size(-2), weight.Size(2), s.H, d.H);
        var (left, right) = SamePadding(input.Size(-1), weight.Size(3), s.W, d.W);
        // The odd pixel of an odd total goes at the bottom/right: padded explicitly, the symmetric rest by the convolution.
        var padded = PadEnd(PadEnd(input, -2, bottom - top, 0), -1, right - left, 0);
        return Tensor.Conv2d(padded, weight, bias, s, (top, left), d, groups);
    }

    /// <summary>
    /// 1-D convolution (<c>F.conv1d</c>) of input [N, Cin, L] (or [Cin, L]) by weight [Cout, Cin / groups, k], plus bias [Cout].
    /// <paramref name="padding"/> is a number, <c>"valid"</c> or <c>"same"</c> (output ⌈L / stride⌉, TensorFlow's rule, see <see cref="SamePadding"/>).
    /// </summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, ConvPadding padding = default, int dilation = 1, int groups = 1)
    {
        if (padding.Mode is null)
        {
            if (padding.Size.H != padding.Size.W)
                throw new ArgumentException($"Conv1d: padding must be one number, \"same\" or \"valid\", got {padding}.", nameof(padding));
            return Tensor.Conv1d(input, weight, bias, stride, padding.Size.W, dilation, groups);
        }
        if (padding.Mode == "valid") return Tensor.Conv1d(input, weight, bias, stride, 0, dilation, groups);
        CheckSamePadding("Conv1d", padding);
        if (weight.Rank != 3 || input.Rank is not (2 or 3)) return Tensor.Conv1d(input, weight, bias, stride, 0, dilation, groups);
        var (before, after) = SamePadding(input.Size(-1), weight.Size(2), stride, dilation);
        return Tensor.Conv1d(PadEnd(input, -1, after - before, 0), weight, bias, stride, before, dilation, groups);
    }

    /// <summary>
    /// 2-D transposed convolution (<c>F.conv_transpose2d</c>) of input [N, Cin, H, W] by weight [Cin, Cout / groups, kh, kw],
    /// plus bias [Cout]; the adjoint (gradient) of <see cref="Conv2d"/> with the same stride, padding and dilation.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, Pair2d? stride = null, Pair2d padding = default,
        Pair2d outputPadding = default, int groups = 1, Pair2d? dilation = null) =>
        Tensor.ConvTranspose2d(input, weight, bias, stride, padding, outputPadding, groups, dilation);

    /// <summary>
    /// Zeros before and after one spatial dim for <c>"same"</c> (TensorFlow's rule): the output has ⌈input / stride⌉ positions, and the
    /// total padding max((⌈input / stride⌉ − 1)·stride + dilation·(kernel − 1) + 1 − input, 0) is split with the odd one after.
    /// For stride 1 the total is dilation·(kernel − 1), PyTorch's "same".
    /// </summary>
    /// <param name="input">Size of the input along the dim.</param>
    /// <param name="kernel">Kernel size along it.</param>
    /// <param name="stride">Stride along it.</param>
    /// <param name="dilation">Dilation along it.</param>
    public static (int Before, int After) SamePadding(int input, int kernel, int stride = 1, int dilation = 1)
    {
        if (input < 0 || kernel < 1 || stride < 1 || dilation < 1)
            throw new ArgumentException($"SamePadding: input must be non-negative and kernel, stride and dilation positive, got {input}, {kernel}, {stride}, {dilation}.");
        int outputs = (input + stride - 1) / stride;
        int total = Math.Max((outputs - 1) * stride + dilation * (kernel - 1) + 1 - input, 0);
        return (total / 2, total - total / 2);
    }

    /// <summary><paramref name="amount"/> entries of <paramref name="value"/> appended along <paramref name="dim"/> (nothing when 0); differentiable.</summary>
    static Tensor PadEnd(Tensor input, int dim, int amount, double value)
    {
        if (amount == 0) return input;
        var shape = input.Shape.ToArray();
        shape[dim < 0 ? dim + shape.Length : dim] = amount;
        return Tensor.Cat([input, Tensor.Full(shape, value, input.DType)], dim);
    }

    /// <summary><paramref name="before"/> and <paramref name="after"/> entries of <paramref name="value"/> around <paramref name="dim"/>; differentiable.</summary>
    static Tensor PadSides(Tensor input, int dim, int before, int after, double value)
    {
        if (before == 0) return PadEnd(input, dim, after, value);
        var shape = input.Shape.ToArray();
        shape[dim < 0 ? dim + shape.Length : dim] = before;
        return PadEnd(Tensor.Cat([Tensor.Full(shape, value, input.DType), input], dim), dim, after, value);
    }

    static void CheckSamePadding(string op, ConvPadding padding)
    {
        if (padding.Mode != "same")
            throw new ArgumentException($"{op}: padding must be a size, \"same\" or \"valid\", got \"{padding.Mode}\".", nameof(padding));
    }
}
