namespace Nabla.NN;

/// <summary>
/// 1-D max pooling layer (<c>nn.MaxPool1d</c>).
/// Shape: [N, C, L] (or [C, L]) → [N, C, Lout], Lout = ⌊(L + 2·padding − dilation·(kernelSize − 1) − 1) / stride⌋ + 1.
/// </summary>
public sealed class MaxPool1d : Module<Tensor, Tensor>
{
    /// <summary>Window length.</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows (the kernel size unless given).</summary>
    public int Stride { get; }

    /// <summary>Implicit −∞ padding on each side, or "same".</summary>
    public ConvPadding Padding { get; }

    /// <summary>Spacing between window elements.</summary>
    public int Dilation { get; }

    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; }

    /// <summary>A 1-D max-pooling layer; <paramref name="stride"/> defaults to <paramref name="kernelSize"/>.</summary>
    public MaxPool1d(int kernelSize, int? stride = null, ConvPadding padding = default, int dilation = 1, bool ceilMode = false)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        Dilation = dilation;
        CeilMode = ceilMode;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.MaxPool1d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding.Mode ?? Padding.Size.W.ToString(System.Globalization.CultureInfo.InvariantCulture)}, dilation={Dilation}, ceil_mode={FormatBool(CeilMode)}";
}
