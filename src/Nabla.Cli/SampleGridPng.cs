using SkiaSharp;

namespace Nabla.Cli;

/// <summary>
/// Generated images tiled as a PNG (d2l 17.2's figure of samples): black on white as Fashion-MNIST is shown, each image enlarged
/// without smoothing, a gap between images; optionally a name at the start of each row (the conditional GAN's class per row).
/// </summary>
public static class SampleGridPng
{
    /// <summary>Gap between images, in pixels.</summary>
    public const int Gap = 2;

    /// <summary>Writes <paramref name="images"/> row by row to <paramref name="path"/> (its directory is created).</summary>
    /// <param name="images">Images [N, 1, H, W] in [0, 1] (clamped), 1 = ink.</param>
    /// <param name="columns">Images per row.</param>
    /// <param name="path">The PNG to write.</param>
    /// <param name="rowLabels">A name for each row, or null.</param>
    /// <param name="scale">Enlargement of each image.</param>
    /// <exception cref="ArgumentException">The shape, the columns or the scale is wrong.</exception>
    public static void Save(Tensor images, int columns, string path, IReadOnlyList<string>? rowLabels = null, int scale = 2)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank != 4 || images.Size(1) != 1 || images.Size(0) == 0)
        {
            throw new ArgumentException($"SampleGridPng.Save: images must be [N, 1, H, W] with N ≥ 1, got {images.Shape}.", nameof(images));
        }
        if (columns < 1 || scale < 1)
        {
            throw new ArgumentException($"SampleGridPng.Save: columns and scale must be at least 1, got {columns} and {scale}.", nameof(columns));
        }
        int count = images.Size(0), height = images.Size(2), width = images.Size(3);
        columns = Math.Min(columns, count);
        int rows = (count + columns - 1) / columns;
        int labelWidth = rowLabels is null ? 0 : 90;
        int cellWidth = width * scale + Gap, cellHeight = height * scale + Gap;
        float[] values = images.Contiguous().To(DType.Float32).ToArray<float>();
        using var bitmap = new SKBitmap(labelWidth + columns * cellWidth + Gap, rows * cellHeight + Gap, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using SKTypeface? embedded = rowLabels is null || CurvePlot.HasSystemFont() ? null : SKTypeface.FromFile(CurvePlot.EmbeddedFontFile());
            using var font = new SKFont(embedded ?? SKTypeface.Default, 12);
            using var text = new SKPaint { IsAntialias = true, Color = SKColors.Black };
            var pixels = new byte[height * width];
            for (int i = 0; i < count; i++)
            {
                for (int p = 0; p < pixels.Length; p++)
                {
                    // Ink is dark on the page: 1 → black.
                    pixels[p] = (byte)Math.Round((1f - Math.Clamp(values[i * pixels.Length + p], 0f, 1f)) * 255f);
                }
                using SKImage image = SKImage.FromPixelCopy(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), pixels, width);
                int x = labelWidth + Gap + i % columns * cellWidth, y = Gap + i / columns * cellHeight;
                canvas.DrawImage(image, new SKRect(x, y, x + width * scale, y + height * scale), new SKSamplingOptions(SKFilterMode.Nearest));
            }
            for (int row = 0; rowLabels is not null && row < Math.Min(rows, rowLabels.Count); row++)
            {
                canvas.DrawText(rowLabels[row], 4, Gap + row * cellHeight + height * scale / 2f + 4, font, text);
            }
        }
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        using SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        using FileStream file = File.Create(path);
        png.SaveTo(file);
    }
}
