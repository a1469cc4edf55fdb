namespace Nabla.Cli.Plotting;

/// <summary>
/// A matrix drawn as coloured cells with a colour bar, like d2l's <c>show_heatmaps</c> of attention
/// weights (by default matplotlib's "Reds": white for the smallest value, dark red for the largest;
/// or <see cref="Viridis"/>). Row 0 is at the top; rows and columns are labelled with their indices,
/// or with the labels given (tokens).
/// </summary>
/// <example>
/// <code>
/// new Heatmap(weights) { Title = "attention", XLabel = "keys", YLabel = "queries" }.Save("attention.png");
/// </code>
/// </example>
public sealed class Heatmap
{
    private const int TitleSize = 16, LabelSize = 14, TickSize = 12, TickLength = 4, BarWidth = 14;

    /// <summary>matplotlib's "Reds" colour map (d2l's heat maps), sampled at 0, ¼, ½, ¾ and 1.</summary>
    public static IReadOnlyList<Rgb> Reds { get; } =
        [Rgb.FromHex("fff5f0"), Rgb.FromHex("fcaa8e"), Rgb.FromHex("f44f39"), Rgb.FromHex("b11218"), Rgb.FromHex("67000d")];

    /// <summary>matplotlib's "viridis" colour map, sampled at 0, ⅛, …, 1.</summary>
    public static IReadOnlyList<Rgb> Viridis { get; } =
    [
        Rgb.FromHex("440154"), Rgb.FromHex("46327e"), Rgb.FromHex("365c8d"), Rgb.FromHex("277f8e"), Rgb.FromHex("1fa187"),
        Rgb.FromHex("4ac16d"), Rgb.FromHex("a0da39"), Rgb.FromHex("d0e11c"), Rgb.FromHex("fde725"),
    ];

    private readonly double[,] values;

    /// <summary>A heat map of <paramref name="values"/>: <c>values[row, column]</c>.</summary>
    /// <exception cref="ArgumentException">The matrix is empty.</exception>
    public Heatmap(double[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.GetLength(0) == 0 || values.GetLength(1) == 0)
        {
            throw new ArgumentException($"Heatmap: the matrix is {values.GetLength(0)} × {values.GetLength(1)}; it needs at least one cell.", nameof(values));
        }
        this.values = values;
    }

    /// <summary>The title above the map, or null.</summary>
    public string? Title { get; set; }

    /// <summary>The label under the columns (d2l: "Keys"), or null.</summary>
    public string? XLabel { get; set; }

    /// <summary>The label beside the rows (d2l: "Queries"), or null.</summary>
    public string? YLabel { get; set; }

    /// <summary>One label per row (tokens) instead of row indices, or null.</summary>
    public IReadOnlyList<string>? RowLabels { get; set; }

    /// <summary>One label per column (tokens), written upwards, instead of column indices, or null.</summary>
    public IReadOnlyList<string>? ColumnLabels { get; set; }

    /// <summary>The value drawn palest; the matrix's smallest finite value when null.</summary>
    public double? Minimum { get; set; }

    /// <summary>The value drawn darkest; the matrix's largest finite value when null.</summary>
    public double? Maximum { get; set; }

    /// <summary>The colour map: evenly spaced colours from the smallest value to the largest (<see cref="Reds"/> unless set).</summary>
    public IReadOnlyList<Rgb> Colormap
    {
        get => colormap;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Count < 2)
            {
                throw new ArgumentException($"Heatmap.Colormap: needs at least 2 colours, got {value.Count}.", nameof(value));
            }
            colormap = value;
        }
    }

    private IReadOnlyList<Rgb> colormap = Reds;

    /// <summary>Side of a cell in pixels; when 0, chosen so that the map is about 360 pixels across (4 to 40 per cell).</summary>
    public int CellSize { get; set; }

    /// <summary>The colour of <paramref name="fraction"/> (0 to 1) along <see cref="Colormap"/>.</summary>
    public Rgb ColorAt(double fraction)
    {
        double position = Math.Clamp(double.IsNaN(fraction) ? 0 : fraction, 0, 1) * (colormap.Count - 1);
        int lower = Math.Min((int)position, colormap.Count - 2);
        return Rgb.Lerp(colormap[lower], colormap[lower + 1], position - lower);
    }

    /// <summary>Draws the heat map.</summary>
    /// <exception cref="ArgumentException">Labels are given whose count differs from the rows or columns.</exception>
    public Canvas Render()
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        if (RowLabels is not null && RowLabels.Count != rows)
        {
            throw new ArgumentException($"Heatmap: {RowLabels.Count} row labels for {rows} rows.");
        }
        if (ColumnLabels is not null && ColumnLabels.Count != columns)
        {
            throw new ArgumentException($"Heatmap: {ColumnLabels.Count} column labels for {columns} columns.");
        }
        (double low, double high) = Range();
        int cell = CellSize > 0 ? CellSize : Math.Clamp(360 / Math.Max(rows, columns), 4, 40);

        (int titleAscent, int titleDescent) = Canvas.TextMetrics(TitleSize);
        (int labelAscent, int labelDescent) = Canvas.TextMetrics(LabelSize);
        (int tickAscent, int tickDescent) = Canvas.TextMetrics(TickSize);
        var rowTicks = Ticks(rows, RowLabels, cell);
        var columnTicks = Ticks(columns, ColumnLabels, cell);
        var barTicks = AxisTicks.Compute(low, high, 5, integersOnly: false);
        double rowLabelWidth = rowTicks.Count == 0 ? 0 : rowTicks.Max(t => Canvas.MeasureText(t.Label, TickSize));
        // Column labels stand upright when they are tokens, so they take their length in height.
        double columnLabelHeight = ColumnLabels is null ? tickAscent + tickDescent
            : columnTicks.Count == 0 ? 0 : columnTicks.Max(t => Canvas.MeasureText(t.Label, TickSize));
        double barLabelWidth = barTicks.Count == 0 ? 0 : barTicks.Max(t => Canvas.MeasureText(t.Label, TickSize));

        int left = 10 + (YLabel is null ? 0 : labelAscent + labelDescent + 6) + (int)Math.Ceiling(rowLabelWidth) + TickLength + 4;
        int top = Title is null ? 12 : 10 + titleAscent + titleDescent + 8;
        int mapWidth = columns * cell, mapHeight = rows * cell;
        int bottomOfLabels = top + mapHeight + TickLength + 4 + (int)Math.Ceiling(columnLabelHeight);
        int width = left + mapWidth + 16 + BarWidth + TickLength + 4 + (int)Math.Ceiling(barLabelWidth) + 12;
        int height = bottomOfLabels + (XLabel is null ? 0 : 6 + labelAscent + labelDescent) + 10;
        int titleWidth = Title is null ? 0 : (int)Math.Ceiling(Canvas.MeasureText(Title, TitleSize)) + 20;
        var canvas = new Canvas(Math.Max(width, titleWidth), height, Rgb.White);

        for (int row = 0; row < rows; row++)
        {
            for (int column = 0; column < columns; column++)
            {
                double value = values[row, column];
                canvas.FillRectangle(left + column * cell, top + row * cell, cell, cell,
                    double.IsNaN(value) ? Rgb.Gray : ColorAt((value - low) / (high - low)));
            }
        }
        canvas.StrokeRectangle(left - 1, top - 1, mapWidth + 2, mapHeight + 2, Rgb.Black);
        foreach ((int index, string label) in rowTicks)
        {
            int y = top + index * cell + cell / 2;
            canvas.FillRectangle(left - 1 - TickLength, y, TickLength, 1, Rgb.Black);
            canvas.DrawText(label, left - 1 - TickLength - 3 - Canvas.MeasureText(label, TickSize), y + (tickAscent - tickDescent) / 2, TickSize, Rgb.Black);
        }
        int labelTop = top + mapHeight + 1 + TickLength + 3;
        foreach ((int index, string label) in columnTicks)
        {
            int x = left + index * cell + cell / 2;
            canvas.FillRectangle(x, top + mapHeight + 1, 1, TickLength, Rgb.Black);
            if (ColumnLabels is null)
            {
                canvas.DrawText(label, x + 0.5 - Canvas.MeasureText(label, TickSize) / 2, labelTop + tickAscent, TickSize, Rgb.Black);
            }
            else
            {
                canvas.DrawTextUpwards(label, x + (tickAscent - tickDescent) / 2, labelTop + Canvas.MeasureText(label, TickSize), TickSize, Rgb.Black);
            }
        }

        // The colour bar: the map's colours from low (bottom) to high (top), with ticks at nice values.
        int barLeft = left + mapWidth + 16;
        for (int y = 0; y < mapHeight; y++)
        {
            canvas.FillRectangle(barLeft, top + y, BarWidth, 1, ColorAt(1 - (y + 0.5) / mapHeight));
        }
        canvas.StrokeRectangle(barLeft - 1, top - 1, BarWidth + 2, mapHeight + 2, Rgb.Black);
        foreach ((double value, string label) in barTicks)
        {
            int y = (int)Math.Round(top + (1 - (value - low) / (high - low)) * (mapHeight - 1));
            canvas.FillRectangle(barLeft + BarWidth + 1, y, TickLength, 1, Rgb.Black);
            canvas.DrawText(label, barLeft + BarWidth + 1 + TickLength + 3, y + (tickAscent - tickDescent) / 2, TickSize, Rgb.Black);
        }

        if (Title is not null)
        {
            canvas.DrawText(Title, left + mapWidth / 2.0 - Canvas.MeasureText(Title, TitleSize) / 2, 10 + titleAscent, TitleSize, Rgb.Black);
        }
        if (XLabel is not null)
        {
            canvas.DrawText(XLabel, left + mapWidth / 2.0 - Canvas.MeasureText(XLabel, LabelSize) / 2, bottomOfLabels + 6 + labelAscent, LabelSize, Rgb.Black);
        }
        if (YLabel is not null)
        {
            canvas.DrawTextUpwards(YLabel, 10 + labelAscent, top + mapHeight / 2.0 + Canvas.MeasureText(YLabel, LabelSize) / 2, LabelSize, Rgb.Black);
        }
        return canvas;
    }

    /// <summary>Draws the heat map and writes it to <paramref name="path"/> as a PNG, creating its directory.</summary>
    public void Save(string path) => Render().SavePng(path);

    private (double Low, double High) Range()
    {
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        foreach (double value in values)
        {
            if (double.IsFinite(value))
            {
                low = Math.Min(low, value);
                high = Math.Max(high, value);
            }
        }
        low = Minimum ?? (double.IsInfinity(low) ? 0 : low);
        high = Maximum ?? (double.IsInfinity(high) ? 1 : high);
        if (!(high > low) && Minimum is null && Maximum is null)
        {
            (low, high) = (low - 0.5, high + 0.5);   // a constant matrix: its colour is the middle of the map
        }
        if (!(high > low))
        {
            throw new InvalidOperationException($"Heatmap: the colour range [{low}, {high}] is empty; set Minimum and Maximum.");
        }
        return (low, high);
    }

    // Every row or column when labels are given; otherwise indices at a step that leaves room for them.
    private static List<(int Index, string Label)> Ticks(int count, IReadOnlyList<string>? labels, int cell)
    {
        if (labels is not null)
        {
            return [.. labels.Select((label, index) => (index, label))];
        }
        int step = 1;
        foreach (int candidate in (int[])[1, 2, 5, 10, 20, 50, 100, 200, 500, 1000])
        {
            step = candidate;
            if (candidate * cell >= 24)
            {
                break;
            }
        }
        return [.. Enumerable.Range(0, (count + step - 1) / step).Select(i => (i * step, (i * step).ToString(System.Globalization.CultureInfo.InvariantCulture)))];
    }
}
