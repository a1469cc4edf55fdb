using System.Diagnostics;

namespace Nabla.Tests.TestSupport;

/// <summary>
/// Feeds malformed inputs to a reader and checks that each one either succeeds with consistent
/// data or throws <see cref="InvalidDataException"/>; any other exception, or a case slower than
/// a second, is a failure.
/// </summary>
internal static class FuzzHarness
{
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(60);

    /// <summary>Outcome counts of a fuzz run.</summary>
    public sealed record Outcome(int Cases, int Accepted, int Rejected);

    public static Outcome Run<T>(IEnumerable<(string Case, byte[] Bytes)> inputs, Func<byte[], T> read, Action<T> checkConsistent)
    {
        var failures = new List<string>();
        int cases = 0, accepted = 0, rejected = 0;
        // A hang inside a reader would block forever; running on a task lets the test give up.
        var run = Task.Run(() =>
        {
            foreach (var (name, bytes) in inputs)
            {
                cases++;
                var clock = Stopwatch.StartNew();
                try
                {
                    T result = read(bytes);
                    checkConsistent(result);
                    accepted++;
                }
                catch (InvalidDataException)
                {
                    rejected++;
                }
                catch (Exception exception)
                {
                    failures.Add($"{name}: {exception.GetType().Name}: {exception.Message}");
                }
                if (clock.Elapsed > CaseLimit)
                {
                    failures.Add($"{name}: took {clock.Elapsed.TotalMilliseconds:F0} ms");
                }
            }
        });
        Assert.True(run.Wait(RunLimit), $"fuzz run did not finish in {RunLimit.TotalSeconds} s (a reader hangs?) after {cases} cases");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} cases failed:\n" + string.Join("\n", failures.Take(20)));
        return new Outcome(cases, accepted, rejected);
    }

    /// <summary>Every proper prefix of <paramref name="bytes"/>: truncation at each length.</summary>
    public static IEnumerable<(string, byte[])> Truncations(string baseName, byte[] bytes)
    {
        for (int length = 0; length < bytes.Length; length++)
        {
            yield return ($"{baseName} truncated to {length}", bytes[..length]);
        }
    }

    /// <summary>Copies of <paramref name="bytes"/> with 1 to 4 bytes set to random values, within [start, end).</summary>
    public static IEnumerable<(string, byte[])> ByteFlips(string baseName, byte[] bytes, int count, int seed, int start = 0, int? end = null)
    {
        var random = new Random(seed);
        int stop = end ?? bytes.Length;
        for (int i = 0; i < count; i++)
        {
            byte[] mutant = (byte[])bytes.Clone();
            int flips = random.Next(1, 5);
            var where = new List<int>(flips);
            for (int f = 0; f < flips; f++)
            {
                int position = random.Next(start, stop);
                mutant[position] = (byte)random.Next(256);
                where.Add(position);
            }
            yield return ($"{baseName} seed {seed} mutant {i} (bytes {string.Join(",", where)})", mutant);
        }
    }

    /// <summary><paramref name="bytes"/> followed by 1 to 16 random bytes.</summary>
    public static IEnumerable<(string, byte[])> TrailingGarbage(string baseName, byte[] bytes, int seed)
    {
        var random = new Random(seed);
        for (int extra = 1; extra <= 16; extra++)
        {
            var garbage = new byte[extra];
            random.NextBytes(garbage);
            yield return ($"{baseName} + {extra} trailing bytes", [.. bytes, .. garbage]);
        }
    }
}
