using System.Runtime.InteropServices;
using Nabla.Backends.Cpu;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>sgemm-n{64…2048}</c>: square float32 C = A·B through <c>Gemm.Sgemm</c> on 64-byte aligned row-major
/// buffers, the sizes of the anchors' <c>gemm</c> job. Like <c>torch_anchor.py</c>: 3 warm-up calls, then about
/// 2 GFLOP of timed calls, here split into 7 rounds whose median is reported.
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
        foreach (int n in Sizes)
        {
            double gflops = Measure(n);
            yield return new Figure($"sgemm-n{n}", ("gflops", gflops), ("fraction_of_peak", gflops / peak));
        }
    }

    private static double Measure(int n)
    {
        nuint bytes = (nuint)n * (nuint)n * sizeof(float);
        float* a = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        float* b = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        float* c = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        try
        {
            var random = new Random(n);
            for (long i = 0; i < (long)n * n; i++)
            {
                a[i] = (float)((random.NextDouble() * 2) - 1);
                b[i] = (float)((random.NextDouble() * 2) - 1);
            }

            double flops = 2.0 * n * n * n;
            const int rounds = 7;
            int repsPerRound = Math.Max(1, (int)(2e9 / flops / rounds));
            double seconds = Timing.MedianSeconds(
                () => Gemm.Sgemm(n, n, n, a, n, 1, b, n, 1, c, n, accumulate: false),
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
