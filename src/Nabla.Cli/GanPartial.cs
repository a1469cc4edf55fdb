using Nabla.Vision.Gan;

namespace Nabla.Cli;

/// <summary>
/// The running sums of <c>nabla train gan</c>: of the epoch under way (for its summary line, and to resume a run stopped inside
/// it) and of the current window of the loss curve.
/// </summary>
public sealed class GanPartial
{
    /// <summary>Steps taken in the epoch.</summary>
    public int Steps { get; set; }

    /// <summary>Sum of the discriminator's losses in the epoch.</summary>
    public double DiscriminatorSum { get; set; }

    /// <summary>Sum of the generator's losses in the epoch.</summary>
    public double GeneratorSum { get; set; }

    /// <summary>Generator steps in the epoch.</summary>
    public int GeneratorSteps { get; set; }

    /// <summary>Sum of the Wasserstein estimates in the epoch.</summary>
    public double WassersteinSum { get; set; }

    /// <summary>Seconds spent in the epoch.</summary>
    public double Seconds { get; set; }

    /// <summary>Steps in the curve's current window.</summary>
    public int Window { get; set; }

    /// <summary>The window's sums: discriminator loss, generator loss, Wasserstein estimate, generator steps.</summary>
    public double[] WindowSums { get; set; } = new double[4];

    /// <summary>Adds one step.</summary>
    public void Add(GanStepLosses losses)
    {
        ArgumentNullException.ThrowIfNull(losses);
        Steps++;
        DiscriminatorSum += losses.DiscriminatorLoss;
        WassersteinSum += losses.Wasserstein ?? 0;
        Window++;
        WindowSums[0] += losses.DiscriminatorLoss;
        WindowSums[2] += losses.Wasserstein ?? 0;
        if (losses.GeneratorLoss is { } g)
        {
            GeneratorSum += g;
            GeneratorSteps++;
            WindowSums[1] += g;
            WindowSums[3]++;
        }
    }

    /// <summary>The curve's point of the window that ends at <paramref name="step"/>: (step, D, G or NaN, Wasserstein or NaN); starts a new window.</summary>
    public double[] TakeWindow(long step, bool wasserstein)
    {
        double[] point = [step, WindowSums[0] / Window, WindowSums[3] > 0 ? WindowSums[1] / WindowSums[3] : double.NaN,
            wasserstein ? WindowSums[2] / Window : double.NaN];
        Window = 0;
        WindowSums = new double[4];
        return point;
    }

    /// <summary>Clears the epoch's sums (the window goes on).</summary>
    public void StartEpoch()
    {
        Steps = GeneratorSteps = 0;
        DiscriminatorSum = GeneratorSum = WassersteinSum = Seconds = 0;
    }
}
