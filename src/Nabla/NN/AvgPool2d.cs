namespace Nabla.NN;

/// <summary>
/// 2-D average pooling layer (<c>nn.AvgPool2d</c>): the mean of each window.
/// Shape: [N, C, H, W] (or [C, H, W]) → [N, C, Hout, Wout], Hout = ⌊(H + 2·padding − kernelSize) / stride⌋ + 1
/// (rounded up with ceilMode).
/// </summary>
public sealed class AvgPool2d : Module<Tensor, Tensor>
{
    /// <summary>Window size.</summary>
    public Pair2d KernelSize { get; }

    /// <summary>Step between windows (the kernel size unless given).</summary>
    public Pair2d Stride { get; }

    /// <summary>Implicit zero padding on each side, or "same".</summary>
    public ConvPadding Padding { get; }

    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; }

    /// <summary>Whether the zero padding counts in each window's divisor.</summary>
    public bool CountIncludePad { get; }

    /// <summary>A fixed divisor for every window, if set.</summary>
    public int? DivisorOverride { get; }

    /// <summary>An average-pooling layer.</summary>
    /// <param name="kernelSize">Window size: one int or (height, width).</param>
    /// <param name="stride">Step between windows; defaults to <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit zero padding, at most half the kernel; or "same": output ⌈size / stride⌉, TensorFlow's padding (see <see cref="Functional.SamePadding"/>).</param>
    /// <param name="ceilMode">Round the output size up.</param>
    /// <param name="countIncludePad">Divide by the window size including padding (default), else by the input pixels in it.</param>
    /// <param name="divisorOverride">Divide every window by this instead.</param>
    public AvgPool2d(Pair2d kernelSize, Pair2d? stride = null, ConvPadding padding = default, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        CeilMode = ceilMode;
        CountIncludePad = countIncludePad;
        DivisorOverride = divisorOverride;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AvgPool2d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad, DivisorOverride);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize.IntOrTuple}, stride={Stride.IntOrTuple}, padding={Padding.Mode ?? Padding.Size.IntOrTuple}";
}
