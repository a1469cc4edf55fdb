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

        return Median(perCall);
    }

    /// <summary>
    /// Times several variants of one piece of work interleaved: after a warm-up call of each, <paramref name="rounds"/>
    /// rounds in which every variant runs <paramref name="repsPerRound"/> calls in turn; returns each variant's median
    /// seconds per call. On a machine whose speed drifts from minute to minute, effects of a few percent show only
    /// this way: variants timed in separate processes (or one after the other) see different machines.
    /// </summary>
    public static double[] InterleavedMedianSeconds(Action[] variants, int rounds, int repsPerRound)
    {
        foreach (var variant in variants)
        {
            variant();
        }

        var perCall = new double[variants.Length][];
        for (int v = 0; v < variants.Length; v++)
        {
            perCall[v] = new double[rounds];
        }

        for (int round = 0; round < rounds; round++)
        {
            for (int v = 0; v < variants.Length; v++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int rep = 0; rep < repsPerRound; rep++)
                {
                    variants[v]();
                }

                perCall[v][round] = Stopwatch.GetElapsedTime(start).TotalSeconds / repsPerRound;
            }
        }

        return perCall.Select(Median).ToArray();
    }

    /// <summary>The median of <paramref name="values"/> (sorted in place).</summary>
    private static double Median(double[] values)
    {
        Array.Sort(values);
        int half = values.Length / 2;
        return values.Length % 2 == 1 ? values[half] : (values[half - 1] + values[half]) / 2;
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
