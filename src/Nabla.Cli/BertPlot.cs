using Nabla.Cli.Plotting;

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
            var steps = Enumerable.Range(1, mlmLosses.Count).Select(step => (double)step).ToArray();
            var chart = new LineChart { Title = title, XLabel = "step", YLabel = "loss", IntegerXTicks = true };
            chart.Add("mlm", steps, mlmLosses);
            chart.Add("nsp", steps, nspLosses);
            chart.Save(path);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            log.WriteLine($"No plot: {exception.GetBaseException().Message}");
            return false;
        }
    }
}
