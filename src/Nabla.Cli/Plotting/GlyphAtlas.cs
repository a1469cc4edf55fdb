using System.Buffers.Binary;
using System.IO.Compression;

namespace Nabla.Cli.Plotting;

/// <summary>
/// DejaVu Sans at one pixel size, pre-rendered (hinted, anti-aliased) into coverage bitmaps by
/// <c>Fonts/make_glyph_atlas.py</c> and embedded in this assembly: the plots' text needs no font
/// library and looks the same on every machine. Characters outside the atlas are drawn as '?'.
/// </summary>
internal sealed class GlyphAtlas
{
    /// <summary>One character's bitmap and metrics.</summary>
    /// <param name="Advance64">How far the pen moves, in 1/64 pixel.</param>
    /// <param name="Left">Bitmap's left edge from the pen.</param>
    /// <param name="Top">Bitmap's top edge from the baseline (negative: above it).</param>
    /// <param name="Width">Bitmap width.</param>
    /// <param name="Height">Bitmap height.</param>
    /// <param name="Offset">Where its coverage bytes start in <see cref="Coverage"/>.</param>
    internal readonly record struct Glyph(int Advance64, int Left, int Top, int Width, int Height, int Offset);

    private const string ResourceName = "Nabla.Cli.DejaVuSans.atlas.gz";
    private static readonly Lazy<IReadOnlyDictionary<int, GlyphAtlas>> Sizes = new(Load);
    private readonly Dictionary<int, Glyph> glyphs;

    private GlyphAtlas(int pixelSize, int ascent, int descent, Dictionary<int, Glyph> glyphs, byte[] coverage)
    {
        PixelSize = pixelSize;
        Ascent = ascent;
        Descent = descent;
        this.glyphs = glyphs;
        Coverage = coverage;
    }

    /// <summary>The font size in pixels (the em square).</summary>
    public int PixelSize { get; }

    /// <summary>Pixels above the baseline that a line needs.</summary>
    public int Ascent { get; }

    /// <summary>Pixels below the baseline that a line needs.</summary>
    public int Descent { get; }

    /// <summary>Coverage bytes of all glyphs of this size (0: background, 255: ink).</summary>
    public byte[] Coverage { get; }

    /// <summary>The pixel sizes the atlas holds.</summary>
    public static IEnumerable<int> AvailableSizes => Sizes.Value.Keys;

    /// <summary>The atlas of <paramref name="pixelSize"/>, or of the nearest size it holds.</summary>
    public static GlyphAtlas ForSize(int pixelSize) =>
        Sizes.Value.MinBy(pair => (Math.Abs(pair.Key - pixelSize), pair.Key)).Value;

    /// <summary>The glyph of <paramref name="character"/>, or of '?' where the atlas lacks it.</summary>
    public Glyph this[char character] => glyphs.TryGetValue(character, out Glyph glyph) ? glyph : glyphs['?'];

    /// <summary>Width of <paramref name="text"/> in pixels, as the pen advances.</summary>
    public double Measure(string text)
    {
        long advance = 0;
        foreach (char character in text)
        {
            advance += this[character].Advance64;
        }
        return advance / 64.0;
    }

    private static IReadOnlyDictionary<int, GlyphAtlas> Load()
    {
        using Stream resource = typeof(GlyphAtlas).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"GlyphAtlas: the resource {ResourceName} is missing from the assembly.");
        using var gzip = new GZipStream(resource, CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        ReadOnlySpan<byte> data = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (!data.StartsWith("NGA1"u8))
        {
            throw new InvalidDataException("GlyphAtlas: the embedded atlas does not start with NGA1.");
        }
        int position = 4;
        int sizeCount = data[position++];
        var sizes = new Dictionary<int, GlyphAtlas>(sizeCount);
        for (int s = 0; s < sizeCount; s++)
        {
            int pixelSize = data[position], ascent = data[position + 1], descent = data[position + 2];
            int glyphCount = BinaryPrimitives.ReadUInt16LittleEndian(data[(position + 3)..]);
            position += 5;
            var glyphs = new Dictionary<int, Glyph>(glyphCount);
            using var coverage = new MemoryStream();
            for (int g = 0; g < glyphCount; g++)
            {
                int codePoint = BinaryPrimitives.ReadUInt16LittleEndian(data[position..]);
                int advance = BinaryPrimitives.ReadUInt16LittleEndian(data[(position + 2)..]);
                int left = (sbyte)data[position + 4], top = (sbyte)data[position + 5];
                int width = data[position + 6], height = data[position + 7];
                position += 8;
                glyphs[codePoint] = new Glyph(advance, left, top, width, height, (int)coverage.Length);
                coverage.Write(data.Slice(position, width * height));
                position += width * height;
            }
            sizes[pixelSize] = new GlyphAtlas(pixelSize, ascent, descent, glyphs, coverage.ToArray());
        }
        return sizes;
    }
}
