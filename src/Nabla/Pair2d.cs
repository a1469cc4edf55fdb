namespace Nabla;

/// <summary>
/// A (height, width) pair of integers for the 2-D ops' kernel size, stride, padding and dilation:
/// PyTorch's <c>_size_2_t</c>, which takes either one int for both dims or a tuple.
/// Converts implicitly from <c>int</c> (<c>stride: 2</c>) and from <c>(int, int)</c> (<c>stride: (2, 1)</c>).
/// </summary>
/// <param name="H">The value along the height (rows).</param>
/// <param name="W">The value along the width (columns).</param>
public readonly record struct Pair2d(int H, int W)
{
    /// <summary>The same value for both dims.</summary>
    public static implicit operator Pair2d(int value) => new(value, value);

    /// <summary>(height, width).</summary>
    public static implicit operator Pair2d((int H, int W) value) => new(value.H, value.W) { FromTuple = true };

    /// <summary>True when the pair was written as a tuple; only printing looks at it (not equality).</summary>
    internal bool FromTuple { get; init; }

    /// <summary>Equal when both values are (however they were written).</summary>
    public bool Equals(Pair2d other) => H == other.H && W == other.W;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(H, W);

    /// <summary>True when both values are equal.</summary>
    public bool IsSquare => H == W;

    /// <summary>PyTorch's tuple notation, <c>(5, 5)</c>.</summary>
    public override string ToString() => $"({H}, {W})";

    /// <summary>
    /// How PyTorch prints a pooling layer's sizes, which it keeps as given: one int, unless written as a tuple or unequal.
    /// </summary>
    internal string IntOrTuple => H == W && !FromTuple ? H.ToString(System.Globalization.CultureInfo.InvariantCulture) : ToString();

    /// <summary>H×W, as in shape messages.</summary>
    internal string Times => $"{H}x{W}";
}
