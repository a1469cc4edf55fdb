using Nabla.Training;
using ScottPlot;

namespace Nabla.Cli;

/// <summary>The course's training-curve figure: train loss, train accuracy and test accuracy per epoch.</summary>
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
        plot.Add.Scatter(epochs, loss).LegendText = "train loss";
        var train = plot.Add.Scatter(epochs, trainAccuracy);
        train.LegendText = "train acc";
        train.LinePattern = LinePattern.Dashed;
        plot.Add.Scatter(epochs, testAccuracy).LegendText = "test acc";
        plot.Title(title);
        plot.XLabel("epoch");
        plot.ShowLegend(Alignment.LowerLeft);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        plot.SavePng(path, 640, 420);
    }
}
