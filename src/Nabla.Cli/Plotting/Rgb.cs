using System.Globalization;

namespace Nabla.Cli.Plotting;

/// <summary>An opaque colour, 8 bits per channel.</summary>
/// <param name="Red">Red, 0–255.</param>
/// <param name="Green">Green, 0–255.</param>
/// <param name="Blue">Blue, 0–255.</param>
public readonly record struct Rgb(byte Red, byte Green, byte Blue)
{
    /// <summary>White.</summary>
    public static Rgb White => new(255, 255, 255);

    /// <summary>Black.</summary>
    public static Rgb Black => new(0, 0, 0);

    /// <summary>The mid grey of secondary text.</summary>
    public static Rgb Gray => new(128, 128, 128);

    /// <summary>
    /// The colours given to a chart's series in turn (matplotlib's "tab10"),
    /// so the figures look like the course's.
    /// </summary>
    public static IReadOnlyList<Rgb> Category10 { get; } =
    [
        FromHex("1f77b4"), FromHex("ff7f0e"), FromHex("2ca02c"), FromHex("d62728"), FromHex("9467bd"),
        FromHex("8c564b"), FromHex("e377c2"), FromHex("7f7f7f"), FromHex("bcbd22"), FromHex("17becf"),
    ];

    /// <summary>The colour written as six hexadecimal digits, <c>rrggbb</c>.</summary>
    /// <exception cref="FormatException"><paramref name="hex"/> is not six hexadecimal digits.</exception>
    public static Rgb FromHex(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != 6 || !int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int value))
        {
            throw new FormatException($"Rgb.FromHex: expected six hexadecimal digits (rrggbb), got '{hex}'.");
        }
        return new Rgb((byte)(value >> 16), (byte)(value >> 8), (byte)value);
    }

    /// <summary>The colour a fraction <paramref name="t"/> of the way from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static Rgb Lerp(Rgb from, Rgb to, double t)
    {
        t = Math.Clamp(t, 0, 1);
        return new Rgb(Mix(from.Red, to.Red, t), Mix(from.Green, to.Green, t), Mix(from.Blue, to.Blue, t));
    }

    private static byte Mix(byte a, byte b, double t) => (byte)Math.Round(a + (b - a) * t);
}
