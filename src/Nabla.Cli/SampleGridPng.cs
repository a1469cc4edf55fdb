using Nabla.Cli.Plotting;

namespace Nabla.Cli;

/// <summary>
/// Generated images tiled as a PNG (d2l 17.2's figure of samples): black on white as the course's figures show Fashion-MNIST,
/// each image enlarged without smoothing, a gap between images; optionally a name at the start of each row (the conditional
/// GAN's class per row).
/// </summary>
public static class SampleGridPng
{
    /// <summary>Gap between images, in pixels.</summary>
    public const int Gap = 2;

    private const int LabelWidth = 90, LabelSize = 12;

    /// <summary>Writes <paramref name="images"/> row by row to <paramref name="path"/> (its directory is created).</summary>
    /// <param name="images">Images [N, 1, H, W] in [0, 1] (clamped), 1 = ink.</param>
    /// <param name="columns">Images per row.</param>
    /// <param name="path">The PNG to write (<c>.png</c>).</param>
    /// <param name="rowLabels">A name for each row, or null.</param>
    /// <param name="scale">Enlargement of each image.</param>
    /// <exception cref="ArgumentException">The shape, the columns, the scale or the file's extension is wrong.</exception>
    public static void Save(Tensor images, int columns, string path, IReadOnlyList<string>? rowLabels = null, int scale = 2)
    {
        ArgumentNullException.ThrowIfNull(images);
        ImageGridPng.RequirePng(path);
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
        int labelWidth = rowLabels is null ? 0 : LabelWidth;
        int cellWidth = width * scale + Gap, cellHeight = height * scale + Gap;
        float[] values = images.Contiguous().To(DType.Float32).ToArray<float>();
        var canvas = new Canvas(labelWidth + columns * cellWidth + Gap, rows * cellHeight + Gap, Rgb.White);
        var pixels = new byte[height * width];
        for (int i = 0; i < count; i++)
        {
            for (int p = 0; p < pixels.Length; p++)
            {
                // Ink is dark on the page: 1 → black.
                pixels[p] = (byte)Math.Round((1f - Math.Clamp(values[i * pixels.Length + p], 0f, 1f)) * 255f);
            }
            canvas.DrawImage(pixels, width, height, 1, labelWidth + Gap + i % columns * cellWidth, Gap + i / columns * cellHeight, scale);
        }
        for (int row = 0; rowLabels is not null && row < Math.Min(rows, rowLabels.Count); row++)
        {
            canvas.DrawText(rowLabels[row], 4, Gap + row * cellHeight + height * scale / 2 + 4, LabelSize, Rgb.Black);
        }
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        canvas.SavePng(path);
    }
}
