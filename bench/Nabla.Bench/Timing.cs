using System.Diagnostics;

namespace Nabla.Bench;

/// <summary>How every job times its work: warm up, then the median of several timed rounds.</summary>
internal static class Timing
{
    /// <summary>
    /// Runs <paramref name="action"/> <paramref name="warmups"/> times untimed, then <paramref name="rounds"/>
    /// rounds of <paramref name="repsPerRound"/> calls each, and returns the median seconds per call.
    /// The median, not the mean or the best, because the machine is shared: it ignores both the round
    /// another process stole and the round that got lucky.
    /// </summary>
    public static double MedianSeconds(Action action, int warmups, int rounds, int repsPerRound)
    {
        for (int i = 0; i < warmups; i++)
        {
            action();
        }

        var perCall = new double[rounds];
        for (int round = 0; round < rounds; round++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int rep = 0; rep < repsPerRound; rep++)
            {
                action();
            }

            perCall[round] = Stopwatch.GetElapsedTime(start).TotalSeconds / repsPerRound;
        }

        Array.Sort(perCall);
        return rounds % 2 == 1 ? perCall[rounds / 2] : (perCall[(rounds / 2) - 1] + perCall[rounds / 2]) / 2;
    }

    /// <summary>Runs <paramref name="action"/> <paramref name="warmups"/> times untimed, then returns the fastest of <paramref name="rounds"/> timed calls, in seconds.</summary>
    public static double BestSeconds(Action action, int warmups, int rounds)
    {
        for (int i = 0; i < warmups; i++)
        {
            action();
        }

        double best = double.MaxValue;
        for (int round = 0; round < rounds; round++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return best;
    }
}
