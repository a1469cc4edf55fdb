using ScottPlot;

namespace Nabla.Cli;

/// <summary>The course's attention heatmap (d2l's <c>show_heatmaps</c>): one row per decoded token, one column per source position.</summary>
public static class AttentionPlot
{
    /// <summary>Writes <paramref name="weights"/> as a PNG heatmap with the tokens on the axes.</summary>
    /// <param name="weights">Weights [rows, columns]: rows are the decoded steps, columns the source positions.</param>
    /// <param name="sourceTokens">Labels of the columns (the source as the encoder read it).</param>
    /// <param name="outputTokens">Labels of the rows (the decoded tokens).</param>
    /// <param name="path">The PNG to write (its directory is created).</param>
    /// <param name="title">The figure's title.</param>
    public static void Save(float[,] weights, IReadOnlyList<string> sourceTokens, IReadOnlyList<string> outputTokens, string path, string title)
    {
        ArgumentNullException.ThrowIfNull(weights);
        int rows = weights.GetLength(0), columns = weights.GetLength(1);
        if (sourceTokens.Count != columns || outputTokens.Count != rows)
        {
            throw new ArgumentException($"AttentionPlot: weights [{rows}, {columns}] need {columns} source and {rows} output labels, got {sourceTokens.Count} and {outputTokens.Count}.");
        }
        var intensities = new double[rows, columns];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                intensities[i, j] = weights[i, j];
            }
        }
        var plot = new Plot();
        CurvePlot.UseEmbeddedFontIfNoSystemFont(plot);
        var heatmap = plot.Add.Heatmap(intensities);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        // Cell (i, j) covers [j, j + 1] × [rows − i − 1, rows − i]: row 0 (the first decoded token) on top.
        heatmap.Rectangle = new CoordinateRect(0, columns, 0, rows);
        plot.Add.ColorBar(heatmap);
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, columns).Select(j => j + 0.5)], [.. sourceTokens]);
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, rows).Select(i => rows - i - 0.5)], [.. outputTokens]);
        plot.Axes.SetLimits(0, columns, 0, rows);
        plot.Title(title);
        plot.XLabel("keys (source)");
        plot.YLabel("queries (translation)");
        CurvePlot.CreateDirectoryOf(path);
        plot.SavePng(path, 120 + 60 * columns, 120 + 45 * rows + 60);
    }
}
