namespace Nabla.Cli.Plotting;

/// <summary>
/// An RGB raster that plots and image grids are drawn on, in managed code only: rectangles,
/// anti-aliased lines and dots, nearest-neighbour enlarged images, and text in DejaVu Sans; saved
/// as PNG. Coordinates are pixels from the top-left corner; a pixel (x, y) covers
/// [x, x + 1) × [y, y + 1), so a line through its centre runs at x + 0.5.
/// </summary>
public sealed class Canvas
{
    private readonly byte[] rgb;

    /// <summary>A canvas of <paramref name="width"/> × <paramref name="height"/> pixels filled with <paramref name="background"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A side is below 1 or above 16,384.</exception>
    public Canvas(int width, int height, Rgb background)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, 16384);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, 16384);
        Width = width;
        Height = height;
        rgb = new byte[width * height * 3];
        FillRectangle(0, 0, width, height, background);
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pixels row by row, three bytes (red, green, blue) each.</summary>
    public ReadOnlySpan<byte> Pixels => rgb;

    /// <summary>The colour of pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public Rgb this[int x, int y]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(x);
            ArgumentOutOfRangeException.ThrowIfNegative(y);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Width);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
            int i = (y * Width + x) * 3;
            return new Rgb(rgb[i], rgb[i + 1], rgb[i + 2]);
        }
    }

    /// <summary>Fills the pixels [x, x + width) × [y, y + height), clipped to the canvas.</summary>
    public void FillRectangle(int x, int y, int width, int height, Rgb color)
    {
        int x0 = Math.Max(x, 0), y0 = Math.Max(y, 0);
        int x1 = Math.Min(x + width, Width), y1 = Math.Min(y + height, Height);
        for (int row = y0; row < y1; row++)
        {
            for (int column = x0; column < x1; column++)
            {
                Set(column, row, color);
            }
        }
    }

    /// <summary>
    /// Draws the border of the rectangle [x, x + width) × [y, y + height): <paramref name="thickness"/>
    /// pixels wide, inside those bounds.
    /// </summary>
    public void StrokeRectangle(int x, int y, int width, int height, Rgb color, int thickness = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(thickness, 1);
        FillRectangle(x, y, width, thickness, color);
        FillRectangle(x, y + height - thickness, width, thickness, color);
        FillRectangle(x, y, thickness, height, color);
        FillRectangle(x + width - thickness, y, thickness, height, color);
    }

    /// <summary>
    /// Draws an anti-aliased polyline through <paramref name="points"/>, <paramref name="lineWidth"/>
    /// pixels wide; with <paramref name="dash"/> (lengths of drawn and skipped stretches in turn) a
    /// dashed one. Each pixel is covered once, however many segments meet there.
    /// </summary>
    public void DrawPolyline(IReadOnlyList<(double X, double Y)> points, Rgb color, double lineWidth = 1, IReadOnlyList<double>? dash = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lineWidth);
        if (dash is not null && (dash.Count == 0 || dash.Count % 2 != 0 || dash.Any(length => !(length > 0))))
        {
            throw new ArgumentException($"Canvas.DrawPolyline: dash needs an even number of positive lengths, got [{string.Join(", ", dash)}].", nameof(dash));
        }
        var coverage = new float[Width * Height];
        int dashIndex = 0;
        double dashLeft = dash?[0] ?? double.PositiveInfinity;
        for (int i = 1; i < points.Count; i++)
        {
            (double x0, double y0) = points[i - 1];
            (double x1, double y1) = points[i];
            double length = Math.Sqrt((x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0));
            double done = 0;
            while (done < length)
            {
                double step = Math.Min(dashLeft, length - done);
                if (dashIndex % 2 == 0)
                {
                    double t0 = length == 0 ? 0 : done / length, t1 = length == 0 ? 1 : (done + step) / length;
                    CoverSegment(coverage, x0 + (x1 - x0) * t0, y0 + (y1 - y0) * t0, x0 + (x1 - x0) * t1, y0 + (y1 - y0) * t1, lineWidth / 2);
                }
                done += step;
                dashLeft -= step;
                if (dashLeft <= 1e-9 && dash is not null)
                {
                    dashIndex = (dashIndex + 1) % dash.Count;
                    dashLeft = dash[dashIndex];
                }
            }
        }
        for (int i = 0; i < coverage.Length; i++)
        {
            if (coverage[i] > 0)
            {
                Blend(i % Width, i / Width, color, coverage[i]);
            }
        }
    }

    /// <summary>Draws an anti-aliased straight line from (x0, y0) to (x1, y1).</summary>
    public void DrawLine(double x0, double y0, double x1, double y1, Rgb color, double lineWidth = 1) =>
        DrawPolyline([(x0, y0), (x1, y1)], color, lineWidth);

    /// <summary>Fills an anti-aliased disc of <paramref name="radius"/> pixels around (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public void FillCircle(double x, double y, double radius, Rgb color)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(radius);
        int left = (int)Math.Floor(x - radius - 1), right = (int)Math.Ceiling(x + radius + 1);
        int top = (int)Math.Floor(y - radius - 1), bottom = (int)Math.Ceiling(y + radius + 1);
        for (int row = Math.Max(top, 0); row <= Math.Min(bottom, Height - 1); row++)
        {
            for (int column = Math.Max(left, 0); column <= Math.Min(right, Width - 1); column++)
            {
                double dx = column + 0.5 - x, dy = row + 0.5 - y;
                double cover = Math.Clamp(radius + 0.5 - Math.Sqrt(dx * dx + dy * dy), 0, 1);
                if (cover > 0)
                {
                    Blend(column, row, color, (float)cover);
                }
            }
        }
    }

    /// <summary>
    /// Draws an image enlarged <paramref name="scale"/> times without smoothing, its top-left corner
    /// at (<paramref name="x"/>, <paramref name="y"/>).
    /// </summary>
    /// <param name="pixels">Row by row, <paramref name="channels"/> bytes per pixel: 1 (grey) or 3 (red, green, blue).</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="channels">1 or 3.</param>
    /// <param name="x">Left edge on the canvas.</param>
    /// <param name="y">Top edge on the canvas.</param>
    /// <param name="scale">Canvas pixels per image pixel, each way.</param>
    public void DrawImage(ReadOnlySpan<byte> pixels, int width, int height, int channels, int x, int y, int scale = 1)
    {
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Canvas.DrawImage: channels must be 1 (grey) or 3 (RGB).");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        if (pixels.Length != width * height * channels)
        {
            throw new ArgumentException($"Canvas.DrawImage: a {width} × {height} image with {channels} channel(s) takes {width * height * channels} bytes, got {pixels.Length}.", nameof(pixels));
        }
        for (int row = 0; row < height * scale; row++)
        {
            int canvasY = y + row;
            if (canvasY < 0 || canvasY >= Height)
            {
                continue;
            }
            for (int column = 0; column < width * scale; column++)
            {
                int canvasX = x + column;
                if (canvasX < 0 || canvasX >= Width)
                {
                    continue;
                }
                int source = ((row / scale) * width + column / scale) * channels;
                Set(canvasX, canvasY, channels == 1
                    ? new Rgb(pixels[source], pixels[source], pixels[source])
                    : new Rgb(pixels[source], pixels[source + 1], pixels[source + 2]));
            }
        }
    }

    /// <summary>Width of <paramref name="text"/> in pixels at <paramref name="size"/>.</summary>
    public static double MeasureText(string text, int size)
    {
        ArgumentNullException.ThrowIfNull(text);
        return GlyphAtlas.ForSize(size).Measure(text);
    }

    /// <summary>Pixels above and below the baseline that a line of text of <paramref name="size"/> needs.</summary>
    public static (int Ascent, int Descent) TextMetrics(int size)
    {
        GlyphAtlas atlas = GlyphAtlas.ForSize(size);
        return (atlas.Ascent, atlas.Descent);
    }

    /// <summary>
    /// Draws <paramref name="text"/> in DejaVu Sans of <paramref name="size"/> pixels (11, 12, 14 or 16;
    /// others take the nearest), starting at <paramref name="x"/> on the baseline <paramref name="baseline"/>.
    /// </summary>
    public void DrawText(string text, double x, int baseline, int size, Rgb color)
    {
        ArgumentNullException.ThrowIfNull(text);
        GlyphAtlas atlas = GlyphAtlas.ForSize(size);
        double pen = x;
        foreach (char character in text)
        {
            GlyphAtlas.Glyph glyph = atlas[character];
            int left = (int)Math.Round(pen) + glyph.Left, top = baseline + glyph.Top;
            for (int gy = 0; gy < glyph.Height; gy++)
            {
                for (int gx = 0; gx < glyph.Width; gx++)
                {
                    BlendGlyphPixel(left + gx, top + gy, color, atlas.Coverage[glyph.Offset + gy * glyph.Width + gx]);
                }
            }
            pen += glyph.Advance64 / 64.0;
        }
    }

    /// <summary>
    /// Draws <paramref name="text"/> turned a quarter left, reading upwards (a y-axis label): the
    /// baseline is the column <paramref name="baseline"/>, and the text starts at height <paramref name="y"/>.
    /// </summary>
    public void DrawTextUpwards(string text, int baseline, double y, int size, Rgb color)
    {
        ArgumentNullException.ThrowIfNull(text);
        GlyphAtlas atlas = GlyphAtlas.ForSize(size);
        double pen = y;
        foreach (char character in text)
        {
            GlyphAtlas.Glyph glyph = atlas[character];
            // Turning left maps an offset (right dx, down dy) from the pen to (dy, −dx).
            int penY = (int)Math.Round(pen);
            for (int gy = 0; gy < glyph.Height; gy++)
            {
                for (int gx = 0; gx < glyph.Width; gx++)
                {
                    BlendGlyphPixel(baseline + glyph.Top + gy, penY - (glyph.Left + gx) - 1, color, atlas.Coverage[glyph.Offset + gy * glyph.Width + gx]);
                }
            }
            pen -= glyph.Advance64 / 64.0;
        }
    }

    /// <summary>Writes the canvas to <paramref name="stream"/> as a PNG.</summary>
    public void WritePng(Stream stream) => PngFile.Write(stream, rgb, Width, Height);

    /// <summary>Writes the canvas to the file <paramref name="path"/> as a PNG, creating its directory.</summary>
    public void SavePng(string path) => PngFile.Save(path, rgb, Width, Height);

    // Coverage of the pixels within halfWidth of the segment: 1 inside, falling to 0 over the pixel at the edge.
    private void CoverSegment(float[] coverage, double x0, double y0, double x1, double y1, double halfWidth)
    {
        int left = Math.Max((int)Math.Floor(Math.Min(x0, x1) - halfWidth - 1), 0);
        int right = Math.Min((int)Math.Ceiling(Math.Max(x0, x1) + halfWidth + 1), Width - 1);
        int top = Math.Max((int)Math.Floor(Math.Min(y0, y1) - halfWidth - 1), 0);
        int bottom = Math.Min((int)Math.Ceiling(Math.Max(y0, y1) + halfWidth + 1), Height - 1);
        double dx = x1 - x0, dy = y1 - y0, lengthSquared = dx * dx + dy * dy;
        for (int row = top; row <= bottom; row++)
        {
            for (int column = left; column <= right; column++)
            {
                double px = column + 0.5 - x0, py = row + 0.5 - y0;
                double t = lengthSquared == 0 ? 0 : Math.Clamp((px * dx + py * dy) / lengthSquared, 0, 1);
                double ex = px - t * dx, ey = py - t * dy;
                float cover = (float)Math.Clamp(halfWidth + 0.5 - Math.Sqrt(ex * ex + ey * ey), 0, 1);
                int i = row * Width + column;
                if (cover > coverage[i])
                {
                    coverage[i] = cover;
                }
            }
        }
    }

    private void BlendGlyphPixel(int x, int y, Rgb color, byte coverage)
    {
        if (coverage != 0 && x >= 0 && y >= 0 && x < Width && y < Height)
        {
            Blend(x, y, color, coverage / 255f);
        }
    }

    private void Set(int x, int y, Rgb color)
    {
        int i = (y * Width + x) * 3;
        rgb[i] = color.Red;
        rgb[i + 1] = color.Green;
        rgb[i + 2] = color.Blue;
    }

    // result = background + coverage × (colour − background), per channel
    private void Blend(int x, int y, Rgb color, float coverage)
    {
        int i = (y * Width + x) * 3;
        rgb[i] = (byte)MathF.Round(rgb[i] + coverage * (color.Red - rgb[i]));
        rgb[i + 1] = (byte)MathF.Round(rgb[i + 1] + coverage * (color.Green - rgb[i + 1]));
        rgb[i + 2] = (byte)MathF.Round(rgb[i + 2] + coverage * (color.Blue - rgb[i + 2]));
    }
}
