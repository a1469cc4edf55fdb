namespace Nabla.NN;

/// <summary>
/// The padding argument of the convolution functions and layers: a number of zeros per side —
/// one int for every dim, or (height, width) — or PyTorch's strings <c>"valid"</c> (no padding) and
/// <c>"same"</c> (output ⌈input / stride⌉ along each dim: as large as the input at stride 1, as PyTorch; for larger strides
/// TensorFlow's rule, which PyTorch refuses, see <see cref="Functional.SamePadding"/>). Converts implicitly from
/// <c>int</c>, <c>(int, int)</c> and <c>string</c>, so <c>padding: 1</c>, <c>padding: (1, 2)</c> and
/// <c>padding: "same"</c> all read as in PyTorch. The default is no padding.
/// </summary>
public readonly record struct ConvPadding
{
    /// <summary>"same", "valid", or null for explicit sizes.</summary>
    public string? Mode { get; }

    /// <summary>The explicit sizes (zero for the string modes).</summary>
    public Pair2d Size { get; }

    ConvPadding(string? mode, Pair2d size)
    {
        Mode = mode;
        Size = size;
    }

    /// <summary>The same number of zeros on every side.</summary>
    public static implicit operator ConvPadding(int value) => new(null, value);

    /// <summary>(height, width) zeros on each side.</summary>
    public static implicit operator ConvPadding((int H, int W) value) => new(null, value);

    /// <summary>Explicit sizes.</summary>
    public static implicit operator ConvPadding(Pair2d value) => new(null, value);

    /// <summary>"same" or "valid" (checked where the padding is used).</summary>
    public static implicit operator ConvPadding(string mode) => new(mode, 0);

    /// <summary>PyTorch's repr: <c>(1, 1)</c> or <c>same</c>.</summary>
    public override string ToString() => Mode ?? Size.ToString();
}
