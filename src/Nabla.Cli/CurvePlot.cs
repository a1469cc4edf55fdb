using Nabla.Cli.Plotting;
using Nabla.Training;

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
        double[] epochs = [.. history.Select(m => (double)m.Epoch)];
        var chart = new LineChart { Title = title, XLabel = "epoch", IntegerXTicks = true };
        chart.Add("train loss", epochs, [.. history.Select(m => m.TrainLoss)]);
        chart.Add("train acc", epochs, [.. history.Select(m => m.TrainAccuracy)], dashed: true);
        chart.Add("test acc", epochs, [.. history.Select(m => m.TestAccuracy)]);
        chart.Save(path);
    }

    /// <summary>Writes a language model's perplexity per epoch as a PNG (d2l's figure of §8.5).</summary>
    /// <param name="perplexities">The perplexity of each finished epoch, from epoch 1.</param>
    /// <param name="path">The PNG to write (its directory is created).</param>
    /// <param name="title">The figure's title.</param>
    public static void SavePerplexity(IReadOnlyList<double> perplexities, string path, string title)
    {
        ArgumentNullException.ThrowIfNull(perplexities);
        var chart = new LineChart { Title = title, XLabel = "epoch", YLabel = "perplexity", IntegerXTicks = true };
        chart.Add("train perplexity", [.. Enumerable.Range(1, perplexities.Count).Select(epoch => (double)epoch)], perplexities);
        chart.Save(path);
    }

    /// <summary>Writes a training loss per epoch as a PNG (d2l's loss figure of §9.7).</summary>
    /// <param name="losses">The loss of each finished epoch, from epoch 1.</param>
    /// <param name="path">The PNG to write (its directory is created).</param>
    /// <param name="title">The figure's title.</param>
    public static void SaveLoss(IReadOnlyList<double> losses, string path, string title)
    {
        ArgumentNullException.ThrowIfNull(losses);
        var chart = new LineChart { Title = title, XLabel = "epoch", YLabel = "loss", IntegerXTicks = true };
        chart.Add("train loss", [.. Enumerable.Range(1, losses.Count).Select(epoch => (double)epoch)], losses);
        chart.Save(path);
    }
}
