namespace Nabla.Vision;

/// <summary>
/// A batch of classified images laid out as a grid with a caption under each, the course's
/// <c>show_images(X, rows, cols, titles=[true + '\n' + pred ...])</c>: where each image goes, its
/// pixels as bytes, its predicted and true class names and whether the prediction is wrong. It
/// only computes the layout; a renderer draws it (<c>nabla predict --grid</c> writes it as a PNG
/// with Nabla.Cli.ImageGridPng, wrong predictions framed and captioned in red).
/// </summary>
/// <remarks>
/// Each cell is <see cref="CellWidth"/> × <see cref="CellHeight"/> pixels: a margin of
/// <see cref="Padding"/>, the image enlarged <see cref="Scale"/> times (nearest neighbour), then
/// <see cref="CaptionHeight"/> pixels for two lines, the predicted class and the true one.
/// Cells fill the rows left to right, top to bottom.
/// </remarks>
public sealed class ImageGrid
{
    /// <summary>Margin around each image, in pixels of the grid.</summary>
    public const int Padding = 4;

    /// <summary>Height of one caption line, in pixels of the grid.</summary>
    public const int LineHeight = 14;

    /// <summary>One image of the grid.</summary>
    /// <param name="Index">Position in the batch.</param>
    /// <param name="ImageX">Left edge of the enlarged image.</param>
    /// <param name="ImageY">Top edge of the enlarged image.</param>
    /// <param name="CaptionY">Top of the caption, under the image (line 1: predicted, line 2: true class).</param>
    /// <param name="Predicted">Name of the predicted class.</param>
    /// <param name="Truth">Name of the true class.</param>
    /// <param name="IsWrong">Whether the prediction differs from the truth.</param>
    public sealed record Cell(int Index, int ImageX, int ImageY, int CaptionY, string Predicted, string Truth, bool IsWrong);

    private readonly byte[][] pixels;

    private ImageGrid(byte[][] pixels, List<Cell> cells, int imageRows, int imageColumns, int columns, int scale)
    {
        this.pixels = pixels;
        Cells = cells;
        ImageRows = imageRows;
        ImageColumns = imageColumns;
        Columns = columns;
        Rows = (cells.Count + columns - 1) / columns;
        Scale = scale;
    }

    /// <summary>The cells, in batch order.</summary>
    public IReadOnlyList<Cell> Cells { get; }

    /// <summary>Height of a source image in pixels.</summary>
    public int ImageRows { get; }

    /// <summary>Width of a source image in pixels.</summary>
    public int ImageColumns { get; }

    /// <summary>Cells per row.</summary>
    public int Columns { get; }

    /// <summary>Rows of cells.</summary>
    public int Rows { get; }

    /// <summary>How many times each image is enlarged.</summary>
    public int Scale { get; }

    /// <summary>Height of the two caption lines.</summary>
    public static int CaptionHeight => 2 * LineHeight;

    /// <summary>Width of a cell.</summary>
    public int CellWidth => ImageColumns * Scale + 2 * Padding;

    /// <summary>Height of a cell.</summary>
    public int CellHeight => ImageRows * Scale + 2 * Padding + CaptionHeight;

    /// <summary>Width of the whole grid.</summary>
    public int Width => Columns * CellWidth;

    /// <summary>Height of the whole grid.</summary>
    public int Height => Rows * CellHeight;

    /// <summary>Number of wrong predictions.</summary>
    public int WrongCount => Cells.Count(c => c.IsWrong);

    /// <summary>The grayscale pixels of image <paramref name="index"/> at its source size, row-major, 0 = black.</summary>
    public ReadOnlySpan<byte> Pixels(int index) => pixels[index];

    /// <summary>Lays out <paramref name="images"/> with their predicted and true classes.</summary>
    /// <param name="images">Float images in [0, 1], <c>[N, 1, H, W]</c> or <c>[N, H, W]</c> (values outside are clamped).</param>
    /// <param name="predicted">Predicted class of each image.</param>
    /// <param name="truth">True class of each image.</param>
    /// <param name="classNames">Name of each class, indexed by class.</param>
    /// <param name="columns">Cells per row (fewer when there are fewer images).</param>
    /// <param name="scale">Enlargement of each image (3: 28 px → 84 px, room for a class name).</param>
    /// <exception cref="ArgumentException">The shapes or counts disagree, a class has no name, or columns/scale are below 1.</exception>
    public static ImageGrid Create(Tensor images, IReadOnlyList<int> predicted, IReadOnlyList<int> truth, IReadOnlyList<string> classNames,
        int columns = 8, int scale = 3)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(classNames);
        if (!(images.Rank == 4 && images.Size(1) == 1 || images.Rank == 3))
        {
            throw new ArgumentException($"ImageGrid.Create: images must be [N, 1, H, W] or [N, H, W], got {images.Shape}.", nameof(images));
        }
        int count = images.Size(0);
        if (count == 0 || predicted.Count != count || truth.Count != count)
        {
            throw new ArgumentException($"ImageGrid.Create: {count} images (shape {images.Shape}) need as many predictions and labels, got {predicted.Count} and {truth.Count}.", nameof(predicted));
        }
        if (columns < 1 || scale < 1)
        {
            throw new ArgumentException($"ImageGrid.Create: columns and scale must be at least 1, got {columns} and {scale}.", nameof(columns));
        }
        int rows = images.Size(-2), cols = images.Size(-1);
        float[] values = images.Contiguous().To(DType.Float32).ToArray<float>();
        var pixels = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            pixels[i] = new byte[rows * cols];
            for (int p = 0; p < pixels[i].Length; p++)
            {
                pixels[i][p] = (byte)Math.Round(Math.Clamp(values[i * rows * cols + p], 0f, 1f) * 255f);
            }
        }
        columns = Math.Min(columns, count);
        int cellWidth = cols * scale + 2 * Padding, cellHeight = rows * scale + 2 * Padding + CaptionHeight;
        var cells = new List<Cell>(count);
        for (int i = 0; i < count; i++)
        {
            string Name(int c, string what) => c >= 0 && c < classNames.Count ? classNames[c]
                : throw new ArgumentException($"ImageGrid.Create: {what} class {c} of image {i} has no name ({classNames.Count} classes).", nameof(classNames));
            int x = i % columns * cellWidth + Padding, y = i / columns * cellHeight + Padding;
            cells.Add(new Cell(i, x, y, y + rows * scale + Padding, Name(predicted[i], "predicted"), Name(truth[i], "true"), predicted[i] != truth[i]));
        }
        return new ImageGrid(pixels, cells, rows, cols, columns, scale);
    }
}
