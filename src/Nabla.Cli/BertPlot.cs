using ScottPlot;

namespace Nabla.Cli;

/// <summary>The loss curves of <c>nabla train bert</c>: MLM and NSP loss per step (d2l's figure of §15.10).</summary>
public static class BertPlot
{
    /// <summary>Writes the curves as a PNG; on a machine that cannot draw, says why on <paramref name="log"/> and returns false.</summary>
    public static bool TrySave(IReadOnlyList<double> mlmLosses, IReadOnlyList<double> nspLosses, string path, string title, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(mlmLosses);
        ArgumentNullException.ThrowIfNull(nspLosses);
        try
        {
            var steps = new double[mlmLosses.Count];
            for (int i = 0; i < steps.Length; i++) steps[i] = i + 1;
            var plot = new Plot();
            if (!CurvePlot.HasSystemFont())
            {
                CurvePlot.EmbeddedFontFile();
                plot.Font.Set("DejaVu Sans");
            }
            plot.Add.Scatter(steps, mlmLosses.ToArray()).LegendText = "mlm";
            plot.Add.Scatter(steps, nspLosses.ToArray()).LegendText = "nsp";
            plot.Title(title);
            plot.XLabel("step");
            plot.YLabel("loss");
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
            plot.ShowLegend(Edge.Right);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            plot.SavePng(path, 640, 420);
            return true;
        }
        catch (Exception exception) when (exception is DllNotFoundException or TypeInitializationException or IOException or UnauthorizedAccessException)
        {
            log.WriteLine($"No plot: {exception.GetBaseException().Message}");
            return false;
        }
    }
}
