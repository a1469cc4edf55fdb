namespace Nabla.NN;

/// <summary>
/// 2-D convolution layer (<c>nn.Conv2d</c>): y = conv2d(x, weight) + bias.
/// Shape: [N, inChannels, H, W] (or [inChannels, H, W]) → [N, outChannels, Hout, Wout],
/// Hout = ⌊(H + 2·padding − dilation·(kernelSize − 1) − 1) / stride⌋ + 1 (likewise Wout).
/// </summary>
public sealed class Conv2d : ConvNd
{
    /// <summary>Kernel (height, width).</summary>
    public Pair2d KernelSize { get; }

    /// <summary>Step between windows.</summary>
    public Pair2d Stride { get; }

    /// <summary>Padding on each side, or "same"/"valid".</summary>
    public ConvPadding Padding { get; }

    /// <summary>Spacing between kernel elements.</summary>
    public Pair2d Dilation { get; }

    /// <summary>A 2-D convolution, initialised by <see cref="ConvNd.ResetParameters"/>.</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels of the output (number of filters).</param>
    /// <param name="kernelSize">Kernel size: one int or (height, width).</param>
    /// <param name="stride">Step between windows; 1 by default.</param>
    /// <param name="padding">Zeros on each side (int or pair), or "same" (output ⌈H / stride⌉ × ⌈W / stride⌉, TensorFlow's rule for any stride) or "valid"; 0 by default.</param>
    /// <param name="dilation">Spacing between kernel elements; 1 by default.</param>
    /// <param name="groups">Independent channel groups; inChannels and outChannels must be divisible by it.</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    /// <param name="paddingMode">"zeros" (default), "reflect", "replicate" or "circular".</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    public Conv2d(int inChannels, int outChannels, Pair2d kernelSize, Pair2d? stride = null, ConvPadding padding = default, Pair2d? dilation = null,
        int groups = 1, bool bias = true, string paddingMode = "zeros", DType dtype = DType.Float32)
        : base("Conv2d", inChannels, outChannels, [kernelSize.H, kernelSize.W], groups, bias, transposed: false, paddingMode, dtype)
    {
        KernelSize = kernelSize;
        Stride = stride ?? 1;
        Padding = padding;
        Dilation = dilation ?? 1;
        if (Stride.H < 1 || Stride.W < 1) throw new ArgumentException($"Conv2d: stride must be positive, got {Stride}.", nameof(stride));
        if (Dilation.H < 1 || Dilation.W < 1) throw new ArgumentException($"Conv2d: dilation must be positive, got {Dilation}.", nameof(dilation));
        CheckPadding("Conv2d", padding);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (PaddingMode == "zeros") return Functional.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
        if (input.Rank is not (3 or 4)) return Functional.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups); // reports the bad rank
        var padded = PadByMode(input, [
            PaddingAlong(Padding, Padding.Size.H, input.Size(-2), KernelSize.H, Stride.H, Dilation.H),
            PaddingAlong(Padding, Padding.Size.W, input.Size(-1), KernelSize.W, Stride.W, Dilation.W)]);
        return Functional.Conv2d(padded, Weight, Bias, Stride, 0, Dilation, Groups);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        ConvRepr([KernelSize.H, KernelSize.W], [Stride.H, Stride.W], Padding, [Dilation.H, Dilation.W], outputPadding: null);
}
