namespace Nabla.NN;

/// <summary>
/// A (height, width) pair of scale factors for <see cref="Functional.Interpolate"/> and <c>Upsample</c>;
/// converts implicitly from one number (<c>scaleFactor: 2</c>) and from <c>(double, double)</c>.
/// </summary>
/// <param name="H">Factor along the height.</param>
/// <param name="W">Factor along the width.</param>
public readonly record struct Scale2d(double H, double W)
{
    /// <summary>The same factor for both dims.</summary>
    public static implicit operator Scale2d(double value) => new(value, value);

    /// <summary>(height, width).</summary>
    public static implicit operator Scale2d((double H, double W) value) => new(value.H, value.W);

    /// <summary>PyTorch's repr: <c>2.0</c> for a square factor, else <c>(1.5, 2.0)</c>.</summary>
    public override string ToString() => H == W ? Format(H) : $"({Format(H)}, {Format(W)})";

    static string Format(double v) => v == Math.Floor(v) ? v.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) : v.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
