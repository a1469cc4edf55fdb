namespace Nabla.Cli.Plotting;

/// <summary>
/// A line chart like the course's training figures: one or more series against a shared x axis,
/// with ticks, grid lines, a title, axis labels and a legend at the right. Points that are not finite
/// (a diverged loss) break the line instead of stretching the axis.
/// </summary>
/// <example>
/// <code>
/// var chart = new LineChart { Title = "mlp", XLabel = "epoch", IntegerXTicks = true };
/// chart.Add("train loss", epochs, losses);
/// chart.Save("curves.png");
/// </code>
/// </example>
public sealed class LineChart
{
    private const int TitleSize = 16, LabelSize = 14, TickSize = 12, LegendSize = 12, TickLength = 4;
    private static readonly Rgb GridColor = new(229, 229, 229);
    private readonly List<(string Label, double[] X, double[] Y, Rgb Color, bool Dashed)> series = [];

    /// <summary>Width of the figure in pixels.</summary>
    public int Width { get; init; } = 640;

    /// <summary>Height of the figure in pixels.</summary>
    public int Height { get; init; } = 420;

    /// <summary>The title above the plot, or null.</summary>
    public string? Title { get; set; }

    /// <summary>The x axis's label, or null.</summary>
    public string? XLabel { get; set; }

    /// <summary>The y axis's label, or null.</summary>
    public string? YLabel { get; set; }

    /// <summary>Whether the x axis has ticks only at whole numbers (epochs).</summary>
    public bool IntegerXTicks { get; set; }

    /// <summary>Adds a series drawn in the next colour of <see cref="Rgb.Category10"/>.</summary>
    /// <param name="label">Its legend entry.</param>
    /// <param name="x">The x values.</param>
    /// <param name="y">The y values, as many as <paramref name="x"/>.</param>
    /// <param name="dashed">Whether the line is dashed.</param>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public void Add(string label, IReadOnlyList<double> x, IReadOnlyList<double> y, bool dashed = false)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"LineChart.Add('{label}'): {x.Count} x values but {y.Count} y values.", nameof(y));
        }
        series.Add((label, x.ToArray(), y.ToArray(), Rgb.Category10[series.Count % Rgb.Category10.Count], dashed));
    }

    /// <summary>Draws the chart.</summary>
    public Canvas Render()
    {
        var canvas = new Canvas(Width, Height, Rgb.White);
        (double xMin, double xMax) = Limits(series.SelectMany(s => Finite(s.X, s.Y).Select(p => p.X)), 0.04);
        (double yMin, double yMax) = Limits(series.SelectMany(s => Finite(s.X, s.Y).Select(p => p.Y)), 0.08);
        var xTicks = AxisTicks.Compute(xMin, xMax, 8, IntegerXTicks);
        var yTicks = AxisTicks.Compute(yMin, yMax, 6, integersOnly: false);

        (int titleAscent, int titleDescent) = Canvas.TextMetrics(TitleSize);
        (int labelAscent, int labelDescent) = Canvas.TextMetrics(LabelSize);
        (int tickAscent, int tickDescent) = Canvas.TextMetrics(TickSize);
        double yTickWidth = yTicks.Count == 0 ? 0 : yTicks.Max(t => Canvas.MeasureText(t.Label, TickSize));
        double legendTextWidth = series.Count == 0 ? 0 : series.Max(s => Canvas.MeasureText(s.Label, LegendSize));
        int legendWidth = series.Count == 0 ? 0 : (int)Math.Ceiling(legendTextWidth) + 46;

        int top = Title is null ? 12 : 10 + titleAscent + titleDescent + 8;
        int left = 10 + (YLabel is null ? 0 : labelAscent + labelDescent + 6) + (int)Math.Ceiling(yTickWidth) + TickLength + 4;
        int bottom = Height - (8 + (XLabel is null ? 0 : labelAscent + labelDescent + 4) + tickAscent + tickDescent + TickLength + 4);
        int right = Width - 12 - (legendWidth == 0 ? 0 : legendWidth + 12);
        if (right - left < 20 || bottom - top < 20)
        {
            throw new InvalidOperationException($"LineChart: {Width} × {Height} pixels leave no room for the plot.");
        }
        double X(double value) => left + (value - xMin) / (xMax - xMin) * (right - left);
        double Y(double value) => bottom - (value - yMin) / (yMax - yMin) * (bottom - top);

        foreach ((double value, string label) in xTicks)
        {
            int x = (int)Math.Round(X(value));
            canvas.FillRectangle(x, top, 1, bottom - top, GridColor);
            canvas.FillRectangle(x, bottom, 1, TickLength, Rgb.Black);
            canvas.DrawText(label, x + 0.5 - Canvas.MeasureText(label, TickSize) / 2, bottom + TickLength + 2 + tickAscent, TickSize, Rgb.Black);
        }
        foreach ((double value, string label) in yTicks)
        {
            int y = (int)Math.Round(Y(value));
            canvas.FillRectangle(left, y, right - left, 1, GridColor);
            canvas.FillRectangle(left - TickLength, y, TickLength, 1, Rgb.Black);
            canvas.DrawText(label, left - TickLength - 4 - Canvas.MeasureText(label, TickSize), y + (tickAscent - tickDescent) / 2, TickSize, Rgb.Black);
        }
        canvas.StrokeRectangle(left, top, right - left + 1, bottom - top + 1, Rgb.Black);

        foreach (var (_, xs, ys, color, dashed) in series)
        {
            foreach (List<(double X, double Y)> run in FiniteRuns(xs, ys))
            {
                var points = run.Select(p => (X(p.X), Y(p.Y))).ToList();
                canvas.DrawPolyline(points, color, 2, dashed ? [7, 4] : null);
                if (xs.Length <= 30)
                {
                    foreach ((double x, double y) in points)
                    {
                        canvas.FillCircle(x, y, 3, color);
                    }
                }
            }
        }

        if (Title is not null)
        {
            canvas.DrawText(Title, (left + right) / 2.0 - Canvas.MeasureText(Title, TitleSize) / 2, 10 + titleAscent, TitleSize, Rgb.Black);
        }
        if (XLabel is not null)
        {
            canvas.DrawText(XLabel, (left + right) / 2.0 - Canvas.MeasureText(XLabel, LabelSize) / 2, Height - 8 - labelDescent, LabelSize, Rgb.Black);
        }
        if (YLabel is not null)
        {
            canvas.DrawTextUpwards(YLabel, 10 + labelAscent, (top + bottom) / 2.0 + Canvas.MeasureText(YLabel, LabelSize) / 2, LabelSize, Rgb.Black);
        }
        if (series.Count > 0)
        {
            DrawLegend(canvas, right + 12, (top + bottom) / 2, legendWidth);
        }
        return canvas;
    }

    /// <summary>Draws the chart and writes it to <paramref name="path"/> as a PNG, creating its directory.</summary>
    public void Save(string path) => Render().SavePng(path);

    private void DrawLegend(Canvas canvas, int x, int middle, int width)
    {
        const int RowHeight = 20;
        (int ascent, int descent) = Canvas.TextMetrics(LegendSize);
        int height = series.Count * RowHeight + 8;
        int y = middle - height / 2;
        canvas.FillRectangle(x, y, width, height, Rgb.White);
        canvas.StrokeRectangle(x, y, width, height, Rgb.Gray);
        for (int i = 0; i < series.Count; i++)
        {
            var (label, _, _, color, dashed) = series[i];
            double rowMiddle = y + 4 + i * RowHeight + RowHeight / 2.0;
            canvas.DrawPolyline([(x + 8, rowMiddle), (x + 34, rowMiddle)], color, 2, dashed ? [7, 4] : null);
            canvas.DrawText(label, x + 40, (int)Math.Round(rowMiddle + (ascent - descent) / 2.0), LegendSize, Rgb.Black);
        }
    }

    private static IEnumerable<(double X, double Y)> Finite(double[] x, double[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            if (double.IsFinite(x[i]) && double.IsFinite(y[i]))
            {
                yield return (x[i], y[i]);
            }
        }
    }

    // The stretches of consecutive finite points: a NaN or infinity ends one.
    private static IEnumerable<List<(double X, double Y)>> FiniteRuns(double[] x, double[] y)
    {
        var run = new List<(double, double)>();
        for (int i = 0; i < x.Length; i++)
        {
            if (double.IsFinite(x[i]) && double.IsFinite(y[i]))
            {
                run.Add((x[i], y[i]));
            }
            else if (run.Count > 0)
            {
                yield return run;
                run = [];
            }
        }
        if (run.Count > 0)
        {
            yield return run;
        }
    }

    // The data's range widened by margin × its width on each side; a single value gets ±0.5 (or ±5%).
    private static (double Min, double Max) Limits(IEnumerable<double> values, double margin)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double value in values)
        {
            min = Math.Min(min, value);
            max = Math.Max(max, value);
        }
        if (double.IsInfinity(min))
        {
            return (0, 1);
        }
        if (max - min <= Math.Abs(max) * 1e-12)
        {
            double half = max == 0 ? 0.5 : Math.Max(0.5, Math.Abs(max) * 0.05);
            return (min - half, max + half);
        }
        double pad = (max - min) * margin;
        return (min - pad, max + pad);
    }
}
