using Nabla.Cli.Plotting;

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
        // Row 0 (the first decoded token) on top, as d2l's show_heatmaps draws it.
        new Heatmap(intensities)
        {
            Title = title,
            XLabel = "keys (source)",
            YLabel = "queries (translation)",
            ColumnLabels = sourceTokens,
            RowLabels = outputTokens,
            Colormap = Heatmap.Viridis,
            Minimum = 0,
            Maximum = 1,
        }.Save(path);
    }
}
