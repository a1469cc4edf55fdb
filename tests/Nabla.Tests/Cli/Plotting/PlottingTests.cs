using Nabla.Cli;
using Nabla.Cli.Plotting;
using Nabla.Training;
using StbImageSharp;

namespace Nabla.Tests.Cli.Plotting;

// The managed drawing behind nabla's PNG figures: the PNG encoder, text, lines, line charts and heat maps.
public sealed class PlottingTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "nabla-plotting-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static ImageResult Decode(string path) => ImageResult.FromMemory(File.ReadAllBytes(path), ColorComponents.RedGreenBlue);

    private static Rgb At(ImageResult image, int x, int y)
    {
        int i = (y * image.Width + x) * 3;
        return new Rgb(image.Data[i], image.Data[i + 1], image.Data[i + 2]);
    }

    [Fact]
    public void Png_file_decodes_to_the_same_pixels()
    {
        // 7 × 5 pixels of a gradient with every channel different, so rows, columns and channels cannot be swapped unseen.
        const int Width = 7, Height = 5;
        var rgb = new byte[Width * Height * 3];
        for (int i = 0; i < rgb.Length; i++)
        {
            rgb[i] = (byte)(i * 37 % 251);
        }
        string path = Path.Combine(directory, "sub", "gradient.png");

        PngFile.Save(path, rgb, Width, Height);

        ImageResult image = Decode(path);
        Assert.Equal((Width, Height), (image.Width, image.Height));
        Assert.Equal(rgb, image.Data);
        Assert.Throws<ArgumentException>(() => PngFile.Write(Stream.Null, rgb.AsSpan(1), Width, Height));
    }

    [Fact]
    public void Text_draws_ink_above_the_baseline_and_unknown_characters_as_a_question_mark()
    {
        var canvas = new Canvas(80, 30, Rgb.White);
        canvas.DrawText("Ab", 5, 20, 16, Rgb.Black);
        // Ink only between the cap height and the baseline, and inside the measured width.
        var ink = Ink(canvas);
        Assert.NotEmpty(ink);
        Assert.All(ink, p => Assert.InRange(p.Y, 20 - 13, 19));
        Assert.All(ink, p => Assert.InRange(p.X, 5, 5 + (int)Math.Ceiling(Canvas.MeasureText("Ab", 16))));
        Assert.Contains(ink, p => canvas[p.X, p.Y] == Rgb.Black);

        var unknown = new Canvas(30, 30, Rgb.White);
        unknown.DrawText("\u4e2d", 5, 20, 16, Rgb.Black);
        var question = new Canvas(30, 30, Rgb.White);
        question.DrawText("?", 5, 20, 16, Rgb.Black);
        Assert.Equal(question.Pixels.ToArray(), unknown.Pixels.ToArray());
        Assert.Equal(Canvas.MeasureText("?", 16), Canvas.MeasureText("\u4e2d", 16));
    }

    [Fact]
    public void Upward_text_is_the_horizontal_text_turned_a_quarter_left()
    {
        var flat = new Canvas(60, 20, Rgb.White);
        flat.DrawText("perplexity", 0, 14, 12, Rgb.Black);
        var upright = new Canvas(20, 60, Rgb.White);
        upright.DrawTextUpwards("perplexity", 14, 60, 12, Rgb.Black);
        // Pixel (x, y) of the flat text lands at (y, 59 − x) on the upright one.
        for (int y = 0; y < 20; y++)
        {
            for (int x = 0; x < 60; x++)
            {
                Assert.Equal(flat[x, y], upright[y, 59 - x]);
            }
        }
    }

    [Fact]
    public void Line_covers_its_width_and_leaves_the_rest()
    {
        var canvas = new Canvas(20, 20, Rgb.White);
        canvas.DrawLine(2, 10, 18, 10, new Rgb(0, 0, 255), lineWidth: 2);
        Assert.Equal(new Rgb(0, 0, 255), canvas[10, 9]);   // pixel rows 9 and 10 span y ∈ [9, 11), the line's 2 pixels
        Assert.Equal(new Rgb(0, 0, 255), canvas[10, 10]);
        Assert.Equal(Rgb.White, canvas[10, 7]);
        Assert.Equal(Rgb.White, canvas[10, 12]);
        Assert.Equal(Rgb.White, canvas[0, 10]);
        Assert.Throws<ArgumentException>(() => canvas.DrawPolyline([(0, 0), (5, 5)], Rgb.Black, 1, [3]));
    }

    [Fact]
    public void Curve_plot_draws_each_series_in_its_colour_and_skips_a_diverged_epoch()
    {
        EpochMetrics Epoch(int epoch, double loss) => new(epoch, loss, 0.5, 0.6, 1, 1);
        string path = Path.Combine(directory, "curves.png");

        CurvePlot.Save([Epoch(1, 2.0), Epoch(2, 1.0), Epoch(3, double.NaN), Epoch(4, 0.5)], path, "mlp on Fashion-MNIST");

        ImageResult image = Decode(path);
        Assert.Equal((640, 420), (image.Width, image.Height));
        var colours = new HashSet<Rgb>();
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                colours.Add(At(image, x, y));
            }
        }
        // train loss, train acc and test acc: the first three colours, each drawn at full strength.
        Assert.Contains(Rgb.Category10[0], colours);
        Assert.Contains(Rgb.Category10[1], colours);
        Assert.Contains(Rgb.Category10[2], colours);
        Assert.Contains(Rgb.Black, colours);   // frame, ticks and text
    }

    [Fact]
    public void Line_chart_rejects_series_of_unequal_length()
    {
        var chart = new LineChart();
        var error = Assert.Throws<ArgumentException>(() => chart.Add("loss", [1, 2, 3], [1, 2]));
        Assert.Contains("3 x values but 2 y values", error.Message);
    }

    [Fact]
    public void Heatmap_colours_the_smallest_value_palest_and_the_largest_darkest()
    {
        double[,] weights = { { 0.1, 0.9 }, { 0.5, 0.5 }, { 0.0, 1.0 } };
        var map = new Heatmap(weights) { CellSize = 20, XLabel = "keys", YLabel = "queries", ColumnLabels = ["je", "t'aime"] };
        Canvas canvas = map.Render();

        // The cells are found through the frame: the first pure-black run on the middle row of the first cell.
        (int left, int top) = FirstCell(canvas);
        Rgb Cell(int row, int column) => canvas[left + column * 20 + 10, top + row * 20 + 10];
        Assert.Equal(Rgb.FromHex("fff5f0"), Cell(2, 0));   // 0.0
        Assert.Equal(Rgb.FromHex("67000d"), Cell(2, 1));   // 1.0
        Assert.Equal(map.ColorAt(0.5), Cell(1, 0));
        Assert.Equal(Rgb.FromHex("f44f39"), map.ColorAt(0.5));
        Assert.Equal(Rgb.Lerp(Rgb.FromHex("fff5f0"), Rgb.FromHex("fcaa8e"), 0.4), map.ColorAt(0.1));   // 0.1 is 0.4 of the way to the ¼ stop

        // Viridis over a fixed range [0, 1] (attention weights), as the seq2seq figure may want.
        var viridis = new Heatmap(new double[,] { { 0.0, 1.0 } }) { CellSize = 20, Colormap = Heatmap.Viridis, Minimum = 0, Maximum = 1 };
        Canvas drawn = viridis.Render();
        (int vLeft, int vTop) = FirstCell(drawn);
        Assert.Equal(Rgb.FromHex("440154"), drawn[vLeft + 10, vTop + 10]);
        Assert.Equal(Rgb.FromHex("fde725"), drawn[vLeft + 30, vTop + 10]);
        Assert.Throws<ArgumentException>(() => viridis.Colormap = [Rgb.Black]);

        var wrongLabels = new Heatmap(weights) { RowLabels = ["a"] };
        Assert.Contains("1 row labels for 3 rows", Assert.Throws<ArgumentException>(() => wrongLabels.Render()).Message);
        // A constant matrix (uniform attention) is drawn in the map's middle colour.
        Canvas constant = new Heatmap(new double[,] { { 0.25, 0.25 } }) { CellSize = 20 }.Render();
        (left, top) = FirstCell(constant);
        Assert.Equal(map.ColorAt(0.5), constant[left + 10, top + 10]);
    }

    [Fact]
    public void Heatmap_saves_a_png()
    {
        string path = Path.Combine(directory, "attention.png");
        var weights = new double[10, 12];
        for (int q = 0; q < 10; q++)
        {
            for (int k = 0; k < 12; k++)
            {
                weights[q, k] = Math.Exp(-Math.Abs(q - k));
            }
        }

        new Heatmap(weights) { Title = "attention weights", XLabel = "keys", YLabel = "queries" }.Save(path);

        ImageResult image = Decode(path);
        Assert.True(image.Width > 12 * 30 && image.Height > 10 * 30, $"{image.Width} × {image.Height}");
    }

    // The map's top-left cell: inside the black frame, found along the row through the first cells.
    private static (int Left, int Top) FirstCell(Canvas canvas)
    {
        for (int y = 0; y < canvas.Height; y++)
        {
            for (int x = 0; x + 2 < canvas.Width; x++)
            {
                if (canvas[x, y] == Rgb.Black && canvas[x + 1, y] == Rgb.Black && canvas[x + 2, y] == Rgb.Black
                    && y + 1 < canvas.Height && canvas[x + 1, y + 1] != Rgb.Black && canvas[x, y + 1] == Rgb.Black)
                {
                    return (x + 1, y + 1);
                }
            }
        }
        throw new InvalidOperationException("No frame found.");
    }

    private static List<(int X, int Y)> Ink(Canvas canvas)
    {
        var ink = new List<(int, int)>();
        for (int y = 0; y < canvas.Height; y++)
        {
            for (int x = 0; x < canvas.Width; x++)
            {
                if (canvas[x, y] != Rgb.White)
                {
                    ink.Add((x, y));
                }
            }
        }
        return ink;
    }
}
