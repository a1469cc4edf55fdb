namespace Nabla.NN;

/// <summary>
/// 1-D convolution layer (<c>nn.Conv1d</c>): y = conv1d(x, weight) + bias.
/// Shape: [N, inChannels, L] (or [inChannels, L]) → [N, outChannels, Lout],
/// Lout = ⌊(L + 2·padding − dilation·(kernelSize − 1) − 1) / stride⌋ + 1.
/// </summary>
public sealed class Conv1d : ConvNd
{
    /// <summary>Kernel length.</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows.</summary>
    public int Stride { get; }

    /// <summary>Padding on each side, or "same"/"valid".</summary>
    public ConvPadding Padding { get; }

    /// <summary>Spacing between kernel elements.</summary>
    public int Dilation { get; }

    /// <summary>A 1-D convolution, initialised by <see cref="ConvNd.ResetParameters"/>.</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels of the output (number of filters).</param>
    /// <param name="kernelSize">Kernel length.</param>
    /// <param name="stride">Step between windows.</param>
    /// <param name="padding">Zeros on each side (one int), or "same" (output ⌈L / stride⌉, TensorFlow's rule for any stride) or "valid".</param>
    /// <param name="dilation">Spacing between kernel elements.</param>
    /// <param name="groups">Independent channel groups; inChannels and outChannels must be divisible by it.</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    /// <param name="paddingMode">"zeros" (default), "reflect", "replicate" or "circular".</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, ConvPadding padding = default, int dilation = 1,
        int groups = 1, bool bias = true, string paddingMode = "zeros", DType dtype = DType.Float32)
        : base("Conv1d", inChannels, outChannels, [kernelSize], groups, bias, transposed: false, paddingMode, dtype)
    {
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        if (stride < 1) throw new ArgumentException($"Conv1d: stride must be positive, got {stride}.", nameof(stride));
        if (dilation < 1) throw new ArgumentException($"Conv1d: dilation must be positive, got {dilation}.", nameof(dilation));
        if (padding.Mode is null && padding.Size.H != padding.Size.W)
            throw new ArgumentException($"Conv1d: padding must be one number, \"same\" or \"valid\", got {padding}.", nameof(padding));
        CheckPadding("Conv1d", padding);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (PaddingMode == "zeros") return Functional.Conv1d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
        if (input.Rank is not (2 or 3)) return Functional.Conv1d(input, Weight, Bias, Stride, Padding, Dilation, Groups); // reports the bad rank
        var padded = PadByMode(input, [PaddingAlong(Padding, Padding.Size.W, input.Size(-1), KernelSize, Stride, Dilation)]);
        return Functional.Conv1d(padded, Weight, Bias, Stride, 0, Dilation, Groups);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => ConvRepr([KernelSize], [Stride], Padding, [Dilation], outputPadding: null);
}
