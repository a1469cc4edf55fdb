namespace Nabla.NN;

/// <summary>
/// 1-D average pooling layer (<c>nn.AvgPool1d</c>).
/// Shape: [N, C, L] (or [C, L]) → [N, C, Lout], Lout = ⌊(L + 2·padding − kernelSize) / stride⌋ + 1.
/// </summary>
public sealed class AvgPool1d : Module<Tensor, Tensor>
{
    /// <summary>Window length.</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows (the kernel size unless given).</summary>
    public int Stride { get; }

    /// <summary>Implicit zero padding on each side, or "same".</summary>
    public ConvPadding Padding { get; }

    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; }

    /// <summary>Whether the zero padding counts in each window's divisor.</summary>
    public bool CountIncludePad { get; }

    /// <summary>A 1-D average-pooling layer; <paramref name="stride"/> defaults to <paramref name="kernelSize"/>.</summary>
    public AvgPool1d(int kernelSize, int? stride = null, ConvPadding padding = default, bool ceilMode = false, bool countIncludePad = true)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        CeilMode = ceilMode;
        CountIncludePad = countIncludePad;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AvgPool1d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={FormatTuple([KernelSize])}, stride={FormatTuple([Stride])}, padding={Padding.Mode ?? FormatTuple([Padding.Size.W])}";
}
