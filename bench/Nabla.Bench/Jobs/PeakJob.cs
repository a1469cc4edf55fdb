using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Nabla.Backends.Cpu;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>fma-peak</c>: the float32 fused multiply-add peak of all cores, in GFLOP/s — the ceiling every GEMM
/// figure is stated against. Each thread runs 12 independent FMA chains at the widest vector width of the
/// active kernel path (so 12 × latency-4 chains keep both FMA pipes full), each chain starting at a
/// different value so the JIT cannot merge them. The figure is the best of 7 rounds of ~0.1 s, not the
/// median: a peak is what the cores reach when nothing else runs, and on a shared machine the median
/// would report the neighbours' load (GEMM figures above 100% of the "peak"). The job also prints
/// <c>sgemm-kernel-peak</c>, the GEMM micro-kernel alone (<see cref="KernelPeak"/>).
/// </summary>
internal sealed class PeakJob : IBenchJob
{
    private const int Chains = 12;
    private const long Iterations = 12_000_000;

    private static double? measured;

    /// <inheritdoc/>
    public string Name => "peak";

    /// <summary>The peak measured in this process (measured on first use), in GFLOP/s.</summary>
    public static double Gflops => measured ??= Measure();

    /// <inheritdoc/>
    public IEnumerable<Figure> Run()
    {
        yield return new Figure("fma-peak", ("gflops", Gflops));
        double kernel = KernelPeak.Gflops(2.0 * PeakLanes() * Chains * Iterations);
        yield return new Figure("sgemm-kernel-peak", ("gflops", kernel), ("fraction_of_peak", kernel / Gflops));
    }

    /// <summary>float32 lanes of the active path's vectors, as <see cref="Chain"/> uses them.</summary>
    private static int PeakLanes() => CpuFeatures.Active switch
    {
        CpuIsa.Avx512 => Vector512<float>.Count,
        CpuIsa.Avx2 => Vector256<float>.Count,
        _ => Vector<float>.Count,
    };

    private static double Measure()
    {
        int threads = WorkerPool.ThreadCount;
        double[] sinks = new double[threads];
        int lanes = PeakLanes();

        void AllThreads() => WorkerPool.TryRun(threads, index => sinks[index] = Chain(CpuFeatures.Active, Iterations, index));

        double seconds = Timing.BestSeconds(AllThreads, warmups: 1, rounds: 7);
        double flops = 2.0 * lanes * Chains * Iterations * threads;
        Console.Error.WriteLine($"fma-peak: {threads} threads × {Chains} chains × {lanes} lanes, {seconds * 1e3:F1} ms per round (sink {sinks.Sum():G3})");
        return flops / seconds / 1e9;
    }

    /// <summary>12 chains of acc ← acc·x + y; each converges to y/(1−x), so no value overflows or goes denormal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static float Chain(CpuIsa isa, long iterations, int seed)
    {
        if (isa == CpuIsa.Avx512)
        {
            var x = Vector512.Create(0.999f);
            var y = Vector512.Create(0.001f);
            var start = Vector512.Create((float)seed);
            Vector512<float> a0 = start + Vector512.Create(0.01f), a1 = start + Vector512.Create(0.02f), a2 = start + Vector512.Create(0.03f);
            Vector512<float> a3 = start + Vector512.Create(0.04f), a4 = start + Vector512.Create(0.05f), a5 = start + Vector512.Create(0.06f);
            Vector512<float> a6 = start + Vector512.Create(0.07f), a7 = start + Vector512.Create(0.08f), a8 = start + Vector512.Create(0.09f);
            Vector512<float> a9 = start + Vector512.Create(0.10f), a10 = start + Vector512.Create(0.11f), a11 = start + Vector512.Create(0.12f);
            for (long i = 0; i < iterations; i++)
            {
                a0 = Avx512F.FusedMultiplyAdd(a0, x, y); a1 = Avx512F.FusedMultiplyAdd(a1, x, y);
                a2 = Avx512F.FusedMultiplyAdd(a2, x, y); a3 = Avx512F.FusedMultiplyAdd(a3, x, y);
                a4 = Avx512F.FusedMultiplyAdd(a4, x, y); a5 = Avx512F.FusedMultiplyAdd(a5, x, y);
                a6 = Avx512F.FusedMultiplyAdd(a6, x, y); a7 = Avx512F.FusedMultiplyAdd(a7, x, y);
                a8 = Avx512F.FusedMultiplyAdd(a8, x, y); a9 = Avx512F.FusedMultiplyAdd(a9, x, y);
                a10 = Avx512F.FusedMultiplyAdd(a10, x, y); a11 = Avx512F.FusedMultiplyAdd(a11, x, y);
            }

            return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
        }

        if (isa == CpuIsa.Avx2)
        {
            var x = Vector256.Create(0.999f);
            var y = Vector256.Create(0.001f);
            var start = Vector256.Create((float)seed);
            Vector256<float> a0 = start + Vector256.Create(0.01f), a1 = start + Vector256.Create(0.02f), a2 = start + Vector256.Create(0.03f);
            Vector256<float> a3 = start + Vector256.Create(0.04f), a4 = start + Vector256.Create(0.05f), a5 = start + Vector256.Create(0.06f);
            Vector256<float> a6 = start + Vector256.Create(0.07f), a7 = start + Vector256.Create(0.08f), a8 = start + Vector256.Create(0.09f);
            Vector256<float> a9 = start + Vector256.Create(0.10f), a10 = start + Vector256.Create(0.11f), a11 = start + Vector256.Create(0.12f);
            for (long i = 0; i < iterations; i++)
            {
                a0 = Fma.MultiplyAdd(a0, x, y); a1 = Fma.MultiplyAdd(a1, x, y);
                a2 = Fma.MultiplyAdd(a2, x, y); a3 = Fma.MultiplyAdd(a3, x, y);
                a4 = Fma.MultiplyAdd(a4, x, y); a5 = Fma.MultiplyAdd(a5, x, y);
                a6 = Fma.MultiplyAdd(a6, x, y); a7 = Fma.MultiplyAdd(a7, x, y);
                a8 = Fma.MultiplyAdd(a8, x, y); a9 = Fma.MultiplyAdd(a9, x, y);
                a10 = Fma.MultiplyAdd(a10, x, y); a11 = Fma.MultiplyAdd(a11, x, y);
            }

            return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
        }

        // Portable: multiply then add, two flops per lane as well, in Vector<float> like the portable kernels.
        var px = new Vector<float>(0.999f);
        var py = new Vector<float>(0.001f);
        var pstart = new Vector<float>(seed);
        Vector<float> p0 = pstart + new Vector<float>(0.01f), p1 = pstart + new Vector<float>(0.02f), p2 = pstart + new Vector<float>(0.03f);
        Vector<float> p3 = pstart + new Vector<float>(0.04f), p4 = pstart + new Vector<float>(0.05f), p5 = pstart + new Vector<float>(0.06f);
        Vector<float> p6 = pstart + new Vector<float>(0.07f), p7 = pstart + new Vector<float>(0.08f), p8 = pstart + new Vector<float>(0.09f);
        Vector<float> p9 = pstart + new Vector<float>(0.10f), p10 = pstart + new Vector<float>(0.11f), p11 = pstart + new Vector<float>(0.12f);
        for (long i = 0; i < iterations; i++)
        {
            p0 = (p0 * px) + py; p1 = (p1 * px) + py; p2 = (p2 * px) + py; p3 = (p3 * px) + py;
            p4 = (p4 * px) + py; p5 = (p5 * px) + py; p6 = (p6 * px) + py; p7 = (p7 * px) + py;
            p8 = (p8 * px) + py; p9 = (p9 * px) + py; p10 = (p10 * px) + py; p11 = (p11 * px) + py;
        }

        return Vector.Sum(p0 + p1 + p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9 + p10 + p11);
    }
}
