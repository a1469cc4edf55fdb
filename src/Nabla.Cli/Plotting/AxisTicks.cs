using System.Globalization;

namespace Nabla.Cli.Plotting;

/// <summary>
/// Where an axis gets its ticks: multiples of 1, 2, 2.5 or 5 × 10ᵏ ("nice numbers", Heckbert,
/// Graphics Gems I), about <c>count</c> of them across the range, with labels as short as the step allows.
/// </summary>
internal static class AxisTicks
{
    /// <summary>The tick values in [<paramref name="min"/>, <paramref name="max"/>] and their labels.</summary>
    /// <param name="min">Lower end of the axis.</param>
    /// <param name="max">Upper end of the axis (above <paramref name="min"/>).</param>
    /// <param name="count">About how many ticks to place.</param>
    /// <param name="integersOnly">Whether only whole numbers may be ticks (epochs, indices).</param>
    public static List<(double Value, string Label)> Compute(double min, double max, int count, bool integersOnly)
    {
        double step = NiceStep((max - min) / Math.Max(count, 1));
        if (integersOnly)
        {
            step = Math.Max(1, Math.Round(step));   // 2.5 rounds to 2 (to even), the rest are whole already
        }
        int decimals = DecimalsOf(step);
        var ticks = new List<(double, string)>();
        double first = Math.Ceiling(min / step - 1e-9) * step;
        for (int i = 0; ; i++)
        {
            double value = first + i * step;
            if (value > max + step * 1e-9 || i > 1000)
            {
                break;
            }
            if (Math.Abs(value) < step * 1e-9)
            {
                value = 0;   // no "-0"
            }
            ticks.Add((value, value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)));
        }
        return ticks;
    }

    private static double NiceStep(double rough)
    {
        if (!(rough > 0) || double.IsInfinity(rough))
        {
            return 1;
        }
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        foreach (double multiple in (double[])[1, 2, 2.5, 5, 10])
        {
            if (multiple * magnitude >= rough * (1 - 1e-9))
            {
                return multiple * magnitude;
            }
        }
        return 10 * magnitude;
    }

    // Decimal places that show every multiple of step exactly: 0.25 → 2, 0.5 → 1, 20 → 0.
    private static int DecimalsOf(double step)
    {
        for (int decimals = 0; decimals < 10; decimals++)
        {
            double scaled = step * Math.Pow(10, decimals);
            if (Math.Abs(scaled - Math.Round(scaled)) < 1e-6 * Math.Max(1, scaled))
            {
                return decimals;
            }
        }
        return 10;
    }
}
