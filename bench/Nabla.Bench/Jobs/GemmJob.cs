using System.Runtime.InteropServices;
using Nabla.Backends.Cpu;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>sgemm-n{64…2048}</c>: square float32 C = A·B through <c>Gemm.Sgemm</c> on 64-byte aligned row-major
/// buffers, the sizes of the anchors' <c>gemm</c> job. Like <c>torch_anchor.py</c>: 3 warm-up calls, then about
/// 2 GFLOP of timed calls, here split into 7 rounds whose median is reported.
/// <c>GEMM_SHAPES</c> (e.g. <c>256x256x784:nt,256x784x256:tn</c>) measures those m×n×k products instead, as
/// <c>sgemm-MxNxK-OPS</c>: OPS says whether A and B are read as stored (n) or transposed (t), the operands of a
/// training step (a Linear layer's forward is nt, its weight gradient tn). <c>GEMM_COMPARE_A=1</c> times each product
/// twice, interleaved call by call in this process, with a row-major A packed and read in place (the choice
/// <c>Gemm</c> makes from the L1's associativity), as <c>sgemm-…-packed-a</c> and <c>sgemm-…-inplace-a</c>.
/// </summary>
internal sealed unsafe class GemmJob : IBenchJob
{
    private static readonly int[] Sizes = [64, 128, 256, 512, 1024, 2048];

    /// <inheritdoc/>
    public string Name => "gemm";

    /// <inheritdoc/>
    public IEnumerable<Figure> Run()
    {
        double peak = PeakJob.Gflops;
        if (Environment.GetEnvironmentVariable("GEMM_SHAPES") is { Length: > 0 } shapes)
        {
            foreach (string shape in shapes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                string[] parts = shape.Split(':');
                int[] mnk = parts[0].Split('x').Select(int.Parse).ToArray();
                string ops = parts.Length > 1 ? parts[1] : "nn";
                foreach (var figure in Figures($"sgemm-{parts[0]}-{ops}", mnk[0], mnk[1], mnk[2], ops[0] == 't', ops[1] == 't', peak))
                {
                    yield return figure;
                }
            }

            yield break;
        }

        foreach (int n in Sizes)
        {
            foreach (var figure in Figures($"sgemm-n{n}", n, n, n, transposeA: false, transposeB: false, peak))
            {
                yield return figure;
            }
        }
    }

    private static IEnumerable<Figure> Figures(string name, int m, int n, int k, bool transposeA, bool transposeB, double peak)
    {
        if (Environment.GetEnvironmentVariable("GEMM_COMPARE_A") != "1")
        {
            double gflops = Measure(m, n, k, transposeA, transposeB);
            yield return new Figure(name, ("gflops", gflops), ("fraction_of_peak", gflops / peak));
            yield break;
        }

        double[] both = Measure(m, n, k, transposeA, transposeB, [false, true]);
        yield return new Figure($"{name}-packed-a", ("gflops", both[0]), ("fraction_of_peak", both[0] / peak));
        yield return new Figure($"{name}-inplace-a", ("gflops", both[1]), ("fraction_of_peak", both[1] / peak));
    }

    /// <summary>C[m×n] = op(A)·op(B) with K = k, A stored m×k (or k×m when transposed), B k×n (or n×k).</summary>
    private static double Measure(int m, int n, int k, bool transposeA, bool transposeB) =>
        Measure(m, n, k, transposeA, transposeB, [null])[0];

    /// <summary>
    /// <see cref="Measure(int, int, int, bool, bool)"/> for each choice of reading a large row-major A in place (null: this
    /// machine's), interleaved call by call; GFLOP/s per choice.
    /// </summary>
    private static double[] Measure(int m, int n, int k, bool transposeA, bool transposeB, bool?[] readAInPlace)
    {
        float* a = (float*)NativeMemory.AlignedAlloc((nuint)m * (nuint)k * sizeof(float), 64);
        float* b = (float*)NativeMemory.AlignedAlloc((nuint)k * (nuint)n * sizeof(float), 64);
        float* c = (float*)NativeMemory.AlignedAlloc((nuint)m * (nuint)n * sizeof(float), 64);
        try
        {
            var random = new Random(m + n + k);
            for (long i = 0; i < (long)m * k; i++)
            {
                a[i] = (float)((random.NextDouble() * 2) - 1);
            }

            for (long i = 0; i < (long)k * n; i++)
            {
                b[i] = (float)((random.NextDouble() * 2) - 1);
            }

            (long aRow, long aCol) = transposeA ? (1L, (long)m) : ((long)k, 1L);
            (long bRow, long bCol) = transposeB ? (1L, (long)k) : ((long)n, 1L);
            double flops = 2.0 * m * n * k;
            const int rounds = 7;
            int repsPerRound = Math.Max(1, (int)(2e9 / flops / rounds));
            if (readAInPlace is [null])
            {
                double seconds = Timing.MedianSeconds(
                    () => Gemm.Sgemm(m, n, k, a, aRow, aCol, b, bRow, bCol, c, n, accumulate: false),
                    warmups: 3, rounds, repsPerRound);
                return [flops / seconds / 1e9];
            }

            var variants = readAInPlace.Select(choice => (Action)(() => Gemm.Sgemm(
                CpuFeatures.Active, WorkerPool.ThreadCount, m, n, k, a, aRow, aCol, b, bRow, bCol, c, n, accumulate: false, choice))).ToArray();
            return Timing.InterleavedMedianSeconds(variants, 3 * rounds, repsPerRound).Select(seconds => flops / seconds / 1e9).ToArray();
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(c);
        }
    }
}
