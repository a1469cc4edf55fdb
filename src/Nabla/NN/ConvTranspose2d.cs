namespace Nabla.NN;

/// <summary>
/// 2-D transposed convolution layer (<c>nn.ConvTranspose2d</c>), the gradient of a Conv2d with the same
/// settings with respect to its input; used to upsample (decoders, GAN generators).
/// Shape: [N, inChannels, H, W] (or [inChannels, H, W]) → [N, outChannels, Hout, Wout],
/// Hout = (H − 1)·stride − 2·padding + dilation·(kernelSize − 1) + outputPadding + 1 (likewise Wout).
/// </summary>
public sealed class ConvTranspose2d : ConvNd
{
    /// <summary>Kernel (height, width).</summary>
    public Pair2d KernelSize { get; }

    /// <summary>Stride of the convolution this one transposes.</summary>
    public Pair2d Stride { get; }

    /// <summary>Padding of the convolution this one transposes (removed from the output).</summary>
    public Pair2d Padding { get; }

    /// <summary>Extra rows/columns at the bottom/right of the output.</summary>
    public Pair2d OutputPadding { get; }

    /// <summary>Spacing between kernel elements.</summary>
    public Pair2d Dilation { get; }

    /// <summary>A 2-D transposed convolution, initialised by <see cref="ConvNd.ResetParameters"/>.</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels of the output.</param>
    /// <param name="kernelSize">Kernel size: one int or (height, width).</param>
    /// <param name="stride">Stride; 1 by default.</param>
    /// <param name="padding">dilation·(kernelSize − 1) − padding zeros are added around the input; 0 by default.</param>
    /// <param name="outputPadding">Added to one side of the output size; smaller than the stride or the dilation.</param>
    /// <param name="groups">Independent channel groups.</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    /// <param name="dilation">Spacing between kernel elements; 1 by default.</param>
    /// <param name="paddingMode">Only "zeros", as in PyTorch.</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    public ConvTranspose2d(int inChannels, int outChannels, Pair2d kernelSize, Pair2d? stride = null, Pair2d padding = default, Pair2d outputPadding = default,
        int groups = 1, bool bias = true, Pair2d? dilation = null, string paddingMode = "zeros", DType dtype = DType.Float32)
        : base("ConvTranspose2d", inChannels, outChannels, [kernelSize.H, kernelSize.W], groups, bias, transposed: true, paddingMode, dtype)
    {
        KernelSize = kernelSize;
        Stride = stride ?? 1;
        Padding = padding;
        OutputPadding = outputPadding;
        Dilation = dilation ?? 1;
        if (Stride.H < 1 || Stride.W < 1) throw new ArgumentException($"ConvTranspose2d: stride must be positive, got {Stride}.", nameof(stride));
        if (Dilation.H < 1 || Dilation.W < 1) throw new ArgumentException($"ConvTranspose2d: dilation must be positive, got {Dilation}.", nameof(dilation));
        if (padding.H < 0 || padding.W < 0) throw new ArgumentException($"ConvTranspose2d: padding must be non-negative, got {padding}.", nameof(padding));
        if (outputPadding.H < 0 || outputPadding.W < 0 || outputPadding.H >= Math.Max(Stride.H, Dilation.H) || outputPadding.W >= Math.Max(Stride.W, Dilation.W))
            throw new ArgumentException($"ConvTranspose2d: output padding {outputPadding} must be non-negative and smaller than the stride {Stride} or the dilation {Dilation}.", nameof(outputPadding));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);

    /// <summary>
    /// Forward to an exact output size (<c>forward(input, output_size)</c>): a strided convolution maps several input
    /// sizes to one output size, and this picks the output padding that gives <paramref name="outputSize"/>.
    /// </summary>
    public Tensor Forward(Tensor input, Pair2d outputSize)
    {
        if (input.Rank is not (3 or 4)) return Forward(input); // reports the bad rank
        int Minimum(int size, int stride, int padding, int dilation, int kernel) => (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1;
        var minimum = new Pair2d(Minimum(input.Size(-2), Stride.H, Padding.H, Dilation.H, KernelSize.H), Minimum(input.Size(-1), Stride.W, Padding.W, Dilation.W, KernelSize.W));
        var extra = new Pair2d(outputSize.H - minimum.H, outputSize.W - minimum.W);
        if (extra.H < 0 || extra.W < 0 || extra.H >= Math.Max(Stride.H, Dilation.H) || extra.W >= Math.Max(Stride.W, Dilation.W))
            throw new ShapeException($"ConvTranspose2d: output size {outputSize} is not reachable from input {input.Shape}: " +
                $"sizes from {minimum} to ({minimum.H + Math.Max(Stride.H, Dilation.H) - 1}, {minimum.W + Math.Max(Stride.W, Dilation.W) - 1}) are.");
        return Functional.ConvTranspose2d(input, Weight, Bias, Stride, Padding, extra, Groups, Dilation);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        ConvRepr([KernelSize.H, KernelSize.W], [Stride.H, Stride.W], Padding, [Dilation.H, Dilation.W], [OutputPadding.H, OutputPadding.W]);
}
