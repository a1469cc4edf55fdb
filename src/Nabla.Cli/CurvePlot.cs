using System.IO.Compression;
using Nabla.Training;
using ScottPlot;
using SkiaSharp;

namespace Nabla.Cli;

/// <summary>The course's training-curve figures: train loss and accuracies per epoch, or a language model's perplexity.</summary>
public static class CurvePlot
{
    /// <summary>Writes the curves of <paramref name="history"/> as a PNG.</summary>
    /// <param name="history">The finished epochs.</param>
    /// <param name="path">The PNG to write (its directory is created).</param>
    /// <param name="title">The figure's title.</param>
    public static void Save(IReadOnlyList<EpochMetrics> history, string path, string title)
    {
        ArgumentNullException.ThrowIfNull(history);
        var epochs = new double[history.Count];
        var loss = new double[history.Count];
        var trainAccuracy = new double[history.Count];
        var testAccuracy = new double[history.Count];
        for (int i = 0; i < history.Count; i++)
        {
            epochs[i] = history[i].Epoch;
            loss[i] = history[i].TrainLoss;
            trainAccuracy[i] = history[i].TrainAccuracy;
            testAccuracy[i] = history[i].TestAccuracy;
        }
        var plot = new Plot();
        UseEmbeddedFontIfNoSystemFont(plot);
        plot.Add.Scatter(epochs, loss).LegendText = "train loss";
        var train = plot.Add.Scatter(epochs, trainAccuracy);
        train.LegendText = "train acc";
        train.LinePattern = LinePattern.Dashed;
        plot.Add.Scatter(epochs, testAccuracy).LegendText = "test acc";
        plot.Title(title);
        plot.XLabel("epoch");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(Edge.Right);
        CreateDirectoryOf(path);
        plot.SavePng(path, 640, 420);
    }

    /// <summary>Writes a language model's perplexity per epoch as a PNG (d2l's figure of §8.5).</summary>
    /// <param name="perplexities">The perplexity of each finished epoch, from epoch 1.</param>
    /// <param name="path">The PNG to write (its directory is created).</param>
    /// <param name="title">The figure's title.</param>
    public static void SavePerplexity(IReadOnlyList<double> perplexities, string path, string title)
    {
        ArgumentNullException.ThrowIfNull(perplexities);
        var epochs = new double[perplexities.Count];
        for (int i = 0; i < epochs.Length; i++)
        {
            epochs[i] = i + 1;
        }
        var plot = new Plot();
        UseEmbeddedFontIfNoSystemFont(plot);
        plot.Add.Scatter(epochs, perplexities.ToArray()).LegendText = "train perplexity";
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("perplexity");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(Edge.Right);
        CreateDirectoryOf(path);
        plot.SavePng(path, 640, 420);
    }

    /// <summary>Writes several curves against one x axis as a PNG (a GAN's losses over the training steps).</summary>
    /// <param name="curves">Each curve's legend, x values and y values (as many of each).</param>
    /// <param name="path">The PNG to write (its directory is created).</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="xLabel">The x axis's label.</param>
    public static void SaveLines(IReadOnlyList<(string Label, double[] X, double[] Y)> curves, string path, string title, string xLabel)
    {
        ArgumentNullException.ThrowIfNull(curves);
        var plot = new Plot();
        UseEmbeddedFontIfNoSystemFont(plot);
        foreach (var (label, x, y) in curves)
        {
            var scatter = plot.Add.Scatter(x, y);
            scatter.LegendText = label;
            scatter.MarkerSize = 0;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.ShowLegend(Edge.Right);
        CreateDirectoryOf(path);
        plot.SavePng(path, 640, 420);
    }

    private static void CreateDirectoryOf(string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
    }

    private const string EmbeddedFontFamily = "DejaVu Sans";
    private static readonly Lock FontLock = new();
    private static string? embeddedFontPath;

    /// <summary>Whether SkiaSharp finds a system font with glyphs (a bare container has none).</summary>
    internal static bool HasSystemFont()
    {
        // Skia's font manager without fonts still lists one empty family, so ask for a glyph instead.
        using SKTypeface? system = SKFontManager.Default.MatchCharacter('A');
        return system is { GlyphCount: > 0 };
    }

    /// <summary>
    /// The DejaVu Sans embedded in this assembly (Fonts/, free licence), written once to the
    /// temporary directory; for drawing text where the machine has no font.
    /// </summary>
    internal static string EmbeddedFontFile()
    {
        lock (FontLock)
        {
            if (embeddedFontPath is null)
            {
                string path = Path.Combine(Path.GetTempPath(), $"nabla-DejaVuSans-2.37-{Environment.UserName}.ttf");
                if (!File.Exists(path))
                {
                    using Stream resource = typeof(CurvePlot).Assembly.GetManifestResourceStream("Nabla.Cli.DejaVuSans.ttf.gz")
                        ?? throw new InvalidOperationException("CurvePlot: the embedded font is missing from the assembly.");
                    string temporary = path + $".{Environment.ProcessId}.tmp";
                    using (var gzip = new GZipStream(resource, CompressionMode.Decompress))
                    using (var file = File.Create(temporary))
                    {
                        gzip.CopyTo(file);
                    }
                    File.Move(temporary, path, overwrite: true);
                }
                Fonts.AddFontFile(EmbeddedFontFamily, path, bold: false, italic: false);
                Fonts.AddFontFile(EmbeddedFontFamily, path, bold: true, italic: false);
                embeddedFontPath = path;
            }
            return embeddedFontPath;
        }
    }

    // SkiaSharp's NoDependencies build reads fonts from /usr/share/fonts; a bare image (a Debian
    // container with only the .NET SDK) has none, and the plot would come out without any text.
    // Then the embedded DejaVu Sans is used for every label.
    private static void UseEmbeddedFontIfNoSystemFont(Plot plot)
    {
        if (HasSystemFont())
        {
            return;
        }
        EmbeddedFontFile();
        plot.Font.Set(EmbeddedFontFamily);
    }
}
