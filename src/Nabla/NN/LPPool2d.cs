namespace Nabla.NN;

/// <summary>
/// Power-average pooling layer (<c>nn.LPPool2d</c>): (Σ_window xᵖ)^(1/p) over each window; p = 2 is L2 pooling,
/// p → ∞ approaches max pooling, p = 1 is sum pooling.
/// Shape: [N, C, H, W] (or [C, H, W]) → [N, C, Hout, Wout], Hout = ⌊(H − kernelSize) / stride⌋ + 1.
/// </summary>
public sealed class LPPool2d : Module<Tensor, Tensor>
{
    /// <summary>The power p.</summary>
    public double NormType { get; }

    /// <summary>Window size.</summary>
    public Pair2d KernelSize { get; }

    /// <summary>Step between windows; null means the kernel size.</summary>
    public Pair2d? Stride { get; }

    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; }

    /// <summary>A power-average pooling layer.</summary>
    /// <param name="normType">The power p.</param>
    /// <param name="kernelSize">Window size: one int or (height, width).</param>
    /// <param name="stride">Step between windows; defaults to <paramref name="kernelSize"/>.</param>
    /// <param name="ceilMode">Round the output size up.</param>
    public LPPool2d(double normType, Pair2d kernelSize, Pair2d? stride = null, bool ceilMode = false)
    {
        NormType = normType;
        KernelSize = kernelSize;
        Stride = stride;
        CeilMode = ceilMode;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LPPool2d(input, NormType, KernelSize, Stride, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        // PyTorch prints the norm type as it was given; a whole number is almost always given as an int.
        var norm = NormType == Math.Floor(NormType) && Math.Abs(NormType) < 1e15 ? ((long)NormType).ToString(System.Globalization.CultureInfo.InvariantCulture) : FormatFloat(NormType);
        return $"norm_type={norm}, kernel_size={KernelSize.IntOrTuple}, stride={Stride?.IntOrTuple ?? "None"}, ceil_mode={FormatBool(CeilMode)}";
    }
}
