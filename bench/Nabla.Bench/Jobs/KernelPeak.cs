using System.Runtime.InteropServices;
using Nabla.Backends.Cpu;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>sgemm-kernel-peak</c> (in the <c>peak</c> job): the active path's full float32 GEMM micro-kernel on every thread at
/// once, each thread on its own packed operands, 16 row tiles of A and one B panel, kc = 1,024 (640 KiB on AVX-512: they
/// stay in L1 and L2), adding into its own C tiles; best of 7 rounds, like <c>fma-peak</c>. It is what a product would
/// reach if packing, C and main memory cost nothing, so it splits the gap between <c>sgemm-n…</c> and <c>fma-peak</c>:
/// this figure against <c>fma-peak</c> is the kernel's instructions (and the clock both cores keep running them), the
/// product against this figure is everything around the kernel.
/// </summary>
internal static unsafe class KernelPeak
{
    private const int Depth = 1024;
    private const int Tiles = 16;

    /// <summary>Measures the figure, in GFLOP/s, doing per thread the work of <paramref name="flopsPerThread"/>.</summary>
    public static double Gflops(double flopsPerThread)
    {
        var isa = CpuFeatures.Active;
        var (rows, vector, vectors) = GemmKernels.TileShape<float>(isa);
        int columns = vector * vectors;
        var kernel = GemmKernels.Table<float>(isa)[GemmKernels.Index(rows, vectors)];
        int threads = WorkerPool.ThreadCount;
        long calls = Math.Max(1, (long)(flopsPerThread / (2.0 * rows * columns * Depth)));
        var operands = new Operands[threads];
        try
        {
            for (int t = 0; t < threads; t++)
            {
                operands[t] = new Operands(rows, columns);
            }

            void AllThreads() => WorkerPool.TryRun(threads, index =>
            {
                var own = operands[index];
                for (long call = 0; call < calls; call++)
                {
                    long tile = call % Tiles;
                    kernel(Depth, own.A + (tile * rows * Depth), 1, rows, own.B, columns, own.C + (tile * rows * columns), columns, true, default, null, 0);
                }
            });

            double seconds = Timing.BestSeconds(AllThreads, warmups: 1, rounds: 7);
            return 2.0 * rows * columns * Depth * calls * threads / seconds / 1e9;
        }
        finally
        {
            foreach (var own in operands)
            {
                own?.Free();
            }
        }
    }

    /// <summary>One thread's packed A tiles, B panel and C tiles, 64-byte aligned, filled with small values.</summary>
    private sealed class Operands
    {
        public readonly float* A;
        public readonly float* B;
        public readonly float* C;

        public Operands(int rows, int columns)
        {
            A = Filled((long)Tiles * rows * Depth, 0.001f);
            B = Filled((long)Depth * columns, 0.001f);
            C = Filled((long)Tiles * rows * columns, 0f);
        }

        public void Free()
        {
            NativeMemory.AlignedFree(A);
            NativeMemory.AlignedFree(B);
            NativeMemory.AlignedFree(C);
        }

        private static float* Filled(long count, float value)
        {
            float* data = (float*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(float)), 64);
            new Span<float>(data, checked((int)count)).Fill(value);
            return data;
        }
    }
}
