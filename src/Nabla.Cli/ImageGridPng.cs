using Nabla.Vision;
using SkiaSharp;

namespace Nabla.Cli;

/// <summary>
/// Draws an <see cref="ImageGrid"/> as a PNG with SkiaSharp: white background, each image enlarged
/// without smoothing, its predicted class under it and its true class below that; a wrong
/// prediction gets a red frame and a red caption. Written as PNG, or as JPEG or WebP when the
/// file's extension says so.
/// </summary>
public static class ImageGridPng
{
    /// <summary>Colour of the frame and caption of a wrong prediction.</summary>
    public static readonly SKColor WrongColor = new(0xD0, 0x10, 0x10);

    /// <summary>Width of the frame around a wrongly classified image.</summary>
    public const int FrameWidth = 2;

    /// <summary>The encoding of an image file, from its extension: <c>.png</c>, <c>.jpg</c>/<c>.jpeg</c> or <c>.webp</c>.</summary>
    /// <exception cref="ArgumentException">Another extension, or none.</exception>
    public static SKEncodedImageFormat FormatOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" => SKEncodedImageFormat.Png,
            ".jpg" or ".jpeg" => SKEncodedImageFormat.Jpeg,
            ".webp" => SKEncodedImageFormat.Webp,
            _ => throw new ArgumentException($"--grid {path}: name the file .png, .jpg or .webp, the formats the grid is written in."),
        };
    }

    /// <summary>Writes <paramref name="grid"/> to <paramref name="path"/> (its directory is created), in the format of its extension.</summary>
    /// <exception cref="ArgumentException">The extension is not one of <see cref="FormatOf"/>'s.</exception>
    public static void Save(ImageGrid grid, string path)
    {
        ArgumentNullException.ThrowIfNull(grid);
        SKEncodedImageFormat format = FormatOf(path);
        using var bitmap = new SKBitmap(grid.Width, grid.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using SKTypeface? embedded = CurvePlot.HasSystemFont() ? null : SKTypeface.FromFile(CurvePlot.EmbeddedFontFile());
            using var font = new SKFont(embedded ?? SKTypeface.Default, ImageGrid.LineHeight - 3);
            using var text = new SKPaint { IsAntialias = true };
            using var frame = new SKPaint { Color = WrongColor, Style = SKPaintStyle.Stroke, StrokeWidth = FrameWidth };
            int side = grid.ImageColumns * grid.Scale, height = grid.ImageRows * grid.Scale;
            foreach (ImageGrid.Cell cell in grid.Cells)
            {
                using SKImage image = GrayImage(grid.Pixels(cell.Index), grid.ImageColumns, grid.ImageRows);
                var target = new SKRect(cell.ImageX, cell.ImageY, cell.ImageX + side, cell.ImageY + height);
                canvas.DrawImage(image, target, new SKSamplingOptions(SKFilterMode.Nearest));
                if (cell.IsWrong)
                {
                    // The frame sits just outside the image, in the cell's padding.
                    float inset = FrameWidth / 2f;
                    canvas.DrawRect(target.Left - inset, target.Top - inset, side + FrameWidth, height + FrameWidth, frame);
                }
                text.Color = cell.IsWrong ? WrongColor : SKColors.Black;
                canvas.DrawText(cell.Predicted, cell.ImageX, cell.CaptionY + ImageGrid.LineHeight - 3, font, text);
                text.Color = cell.IsWrong ? WrongColor : SKColors.Gray;
                canvas.DrawText($"true: {cell.Truth}", cell.ImageX, cell.CaptionY + 2 * ImageGrid.LineHeight - 3, font, text);
            }
        }
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        // Quality applies to JPEG and WebP; PNG is lossless whatever it says.
        using SKData encoded = bitmap.Encode(format, 90)
            ?? throw new IOException($"--grid {path}: SkiaSharp could not encode the grid as {format}.");
        using FileStream file = File.Create(path);
        encoded.SaveTo(file);
    }

    private static SKImage GrayImage(ReadOnlySpan<byte> pixels, int width, int height)
    {
        var info = new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque);
        return SKImage.FromPixelCopy(info, pixels, width);
    }
}
