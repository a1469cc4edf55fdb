using Nabla.Cli.Plotting;
using Nabla.Vision;

namespace Nabla.Cli;

/// <summary>
/// Draws an <see cref="ImageGrid"/> as a PNG: white background, each image enlarged without
/// smoothing, its predicted class under it and its true class below that; a wrong prediction gets
/// a red frame and a red caption.
/// </summary>
public static class ImageGridPng
{
    /// <summary>Colour of the frame and caption of a wrong prediction.</summary>
    public static readonly Rgb WrongColor = new(0xD0, 0x10, 0x10);

    /// <summary>Width of the frame around a wrongly classified image.</summary>
    public const int FrameWidth = 2;

    private const int CaptionSize = ImageGrid.LineHeight - 3;

    /// <summary>
    /// Checks that <paramref name="path"/> names a PNG file, the one format the grid is written in
    /// (the managed plotting code has no lossy encoder), so that a <c>.jpg</c> never holds PNG bytes.
    /// </summary>
    /// <exception cref="ArgumentException">Another extension, or none.</exception>
    public static void RequirePng(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!string.Equals(Path.GetExtension(path), ".png", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"--grid {path}: name the file .png; the grid is written as PNG only.");
        }
    }

    /// <summary>Writes <paramref name="grid"/> to <paramref name="path"/> (its directory is created).</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> does not end in <c>.png</c>.</exception>
    public static void Save(ImageGrid grid, string path)
    {
        ArgumentNullException.ThrowIfNull(grid);
        RequirePng(path);
        var canvas = new Canvas(grid.Width, grid.Height, Rgb.White);
        int side = grid.ImageColumns * grid.Scale, height = grid.ImageRows * grid.Scale;
        foreach (ImageGrid.Cell cell in grid.Cells)
        {
            canvas.DrawImage(grid.Pixels(cell.Index), grid.ImageColumns, grid.ImageRows, 1, cell.ImageX, cell.ImageY, grid.Scale);
            if (cell.IsWrong)
            {
                // The frame sits just outside the image, in the cell's padding.
                canvas.StrokeRectangle(cell.ImageX - FrameWidth, cell.ImageY - FrameWidth, side + 2 * FrameWidth, height + 2 * FrameWidth, WrongColor, FrameWidth);
            }
            canvas.DrawText(cell.Predicted, cell.ImageX, cell.CaptionY + ImageGrid.LineHeight - 3, CaptionSize, cell.IsWrong ? WrongColor : Rgb.Black);
            canvas.DrawText($"true: {cell.Truth}", cell.ImageX, cell.CaptionY + 2 * ImageGrid.LineHeight - 3, CaptionSize, cell.IsWrong ? WrongColor : Rgb.Gray);
        }
        canvas.SavePng(path);
    }
}
