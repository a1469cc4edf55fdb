using System.Runtime.InteropServices;
using Nabla.Backends.Cpu;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>sgemm-n{64…2048}</c>: square float32 C = A·B through <c>Gemm.Sgemm</c> on 64-byte aligned row-major
/// buffers, the sizes of the anchors' <c>gemm</c> job. Like <c>torch_anchor.py</c>: 3 warm-up calls, then about
/// 2 GFLOP of timed calls, here split into 7 rounds whose median is reported.
/// <c>GEMM_SHAPES</c> (e.g. <c>256x256x784:nt,256x784x256:tn</c>) measures those m×n×k products instead, as
/// <c>sgemm-MxNxK-OPS</c>: OPS says whether A and B are read as stored (n) or transposed (t), the operands of a
/// training step (a Linear layer's forward is nt, its weight gradient tn).
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
                double gflops = Measure(mnk[0], mnk[1], mnk[2], ops[0] == 't', ops[1] == 't');
                yield return new Figure($"sgemm-{parts[0]}-{ops}", ("gflops", gflops), ("fraction_of_peak", gflops / peak));
            }

            yield break;
        }

        foreach (int n in Sizes)
        {
            double gflops = Measure(n);
            yield return new Figure($"sgemm-n{n}", ("gflops", gflops), ("fraction_of_peak", gflops / peak));
        }
    }

    private static double Measure(int n) => Measure(n, n, n, transposeA: false, transposeB: false);

    /// <summary>C[m×n] = op(A)·op(B) with K = k, A stored m×k (or k×m when transposed), B k×n (or n×k).</summary>
    private static double Measure(int m, int n, int k, bool transposeA, bool transposeB)
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
            double seconds = Timing.MedianSeconds(
                () => Gemm.Sgemm(m, n, k, a, aRow, aCol, b, bRow, bCol, c, n, accumulate: false),
                warmups: 3, rounds, repsPerRound);
            return flops / seconds / 1e9;
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(c);
        }
    }
}
