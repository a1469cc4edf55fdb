namespace Nabla.NN;

/// <summary>
/// 2-D max pooling layer (<c>nn.MaxPool2d</c>): the largest value of each window.
/// Shape: [N, C, H, W] (or [C, H, W]) → [N, C, Hout, Wout],
/// Hout = ⌊(H + 2·padding − dilation·(kernelSize − 1) − 1) / stride⌋ + 1 (rounded up with ceilMode).
/// For the indices of the maxima (PyTorch's <c>return_indices=True</c>) call <see cref="ForwardWithIndices"/>.
/// </summary>
public sealed class MaxPool2d : Module<Tensor, Tensor>
{
    /// <summary>Window size.</summary>
    public Pair2d KernelSize { get; }

    /// <summary>Step between windows (the kernel size unless given).</summary>
    public Pair2d Stride { get; }

    /// <summary>Implicit −∞ padding on each side, or "same".</summary>
    public ConvPadding Padding { get; }

    /// <summary>Spacing between window elements.</summary>
    public Pair2d Dilation { get; }

    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; }

    /// <summary>A max-pooling layer.</summary>
    /// <param name="kernelSize">Window size: one int or (height, width).</param>
    /// <param name="stride">Step between windows; defaults to <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit −∞ padding, at most half the kernel; or "same": output ⌈size / stride⌉, TensorFlow's padding (see <see cref="Functional.SamePadding"/>).</param>
    /// <param name="dilation">Spacing between window elements.</param>
    /// <param name="ceilMode">Round the output size up, so that a partial window at the end counts.</param>
    public MaxPool2d(Pair2d kernelSize, Pair2d? stride = null, ConvPadding padding = default, Pair2d? dilation = null, bool ceilMode = false)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        Dilation = dilation ?? 1;
        CeilMode = ceilMode;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <summary>The pooled values and the flat in-plane index (h·W + w) of each maximum, as <c>return_indices=True</c> gives them.</summary>
    public (Tensor Values, Tensor Indices) ForwardWithIndices(Tensor input) =>
        Functional.MaxPool2dWithIndices(input, KernelSize, Stride,
            Padding.Mode is null ? Padding.Size : throw new InvalidOperationException("MaxPool2d: indices are not available with padding=\"same\"."), Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"kernel_size={KernelSize.IntOrTuple}, stride={Stride.IntOrTuple}, padding={Padding.Mode ?? Padding.Size.IntOrTuple}, dilation={Dilation.IntOrTuple}, ceil_mode={FormatBool(CeilMode)}";
}
