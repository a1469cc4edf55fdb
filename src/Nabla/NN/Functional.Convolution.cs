namespace Nabla.NN;

// Convolution functions (torch.nn.functional.conv1d / conv2d / conv_transpose2d): the tensor ops
// in Ops/Convolution.cs plus PyTorch's string paddings "valid" and "same".
public static partial class Functional
{
    /// <summary>
    /// 2-D convolution (<c>F.conv2d</c>) of input [N, Cin, H, W] (or [Cin, H, W]) by weight [Cout, Cin / groups, kh, kw],
    /// plus bias [Cout]. <paramref name="padding"/> is a size, <c>"valid"</c> (none) or <c>"same"</c> (stride 1 only;
    /// when the total padding dilation·(k − 1) is odd, the extra row/column goes at the bottom/right, as in PyTorch).
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Pair2d? stride = null, ConvPadding padding = default,
        Pair2d? dilation = null, int groups = 1)
    {
        var s = stride ?? 1;
        var d = dilation ?? 1;
        if (padding.Mode is null) return Tensor.Conv2d(input, weight, bias, s, padding.Size, d, groups);
        if (padding.Mode == "valid") return Tensor.Conv2d(input, weight, bias, s, 0, d, groups);
        CheckSamePadding("Conv2d", padding, s.H == 1 && s.W == 1, s.ToString());
        if (weight.Rank != 4) return Tensor.Conv2d(input, weight, bias, s, 0, d, groups); // reports the bad weight
        var (top, bottom) = SamePadding(weight.Size(2), d.H);
        var (left, right) = SamePadding(weight.Size(3), d.W);
        if (top == bottom && left == right) return Tensor.Conv2d(input, weight, bias, s, (top, left), d, groups);
        // Asymmetric: pad the larger side all round, then drop the extra leading output row/column.
        var output = Tensor.Conv2d(input, weight, bias, s, (bottom, right), d, groups);
        return output.Narrow(-2, bottom - top, input.Size(-2)).Narrow(-1, right - left, input.Size(-1));
    }

    /// <summary>
    /// 1-D convolution (<c>F.conv1d</c>) of input [N, Cin, L] (or [Cin, L]) by weight [Cout, Cin / groups, k], plus bias [Cout].
    /// <paramref name="padding"/> is a number, <c>"valid"</c> or <c>"same"</c> (stride 1 only).
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
        CheckSamePadding("Conv1d", padding, stride == 1, $"({stride},)");
        if (weight.Rank != 3) return Tensor.Conv1d(input, weight, bias, stride, 0, dilation, groups);
        var (before, after) = SamePadding(weight.Size(2), dilation);
        var output = Tensor.Conv1d(input, weight, bias, stride, after, dilation, groups);
        return before == after ? output : output.Narrow(-1, after - before, input.Size(-1));
    }

    /// <summary>
    /// 2-D transposed convolution (<c>F.conv_transpose2d</c>) of input [N, Cin, H, W] by weight [Cin, Cout / groups, kh, kw],
    /// plus bias [Cout]; the adjoint (gradient) of <see cref="Conv2d"/> with the same stride, padding and dilation.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, Pair2d? stride = null, Pair2d padding = default,
        Pair2d outputPadding = default, int groups = 1, Pair2d? dilation = null) =>
        Tensor.ConvTranspose2d(input, weight, bias, stride, padding, outputPadding, groups, dilation);

    /// <summary>Zeros before and after for "same": dilation·(k − 1) in total, the odd one after.</summary>
    static (int Before, int After) SamePadding(int kernel, int dilation)
    {
        int total = dilation * (kernel - 1);
        return (total / 2, total - total / 2);
    }

    static void CheckSamePadding(string op, ConvPadding padding, bool unitStride, string stride)
    {
        if (padding.Mode != "same")
            throw new ArgumentException($"{op}: padding must be a size, \"same\" or \"valid\", got \"{padding.Mode}\".", nameof(padding));
        if (!unitStride)
            throw new ArgumentException($"{op}: padding=\"same\" is not supported for strided convolutions (stride {stride}); give the padding explicitly.", nameof(padding));
    }
}
