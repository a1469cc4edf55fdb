using System.Diagnostics;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// General matrix multiply for float32 and float64, BLIS-style: B is packed in kc × nc blocks (shared by all
/// threads, in L3), A in mc × kc blocks (each thread its own, in L2), and a register-blocked FMA micro-kernel
/// computes one mr × nr tile of C per call, looping over kc. Loop order (outer to inner): jc (nc columns),
/// pc (kc depth), ic (mc rows), jr (nr columns), ir (mr rows). Products too small to pay for a second thread
/// run on the caller alone.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>Depth of a packed block, in bytes per row: 512 floats, 256 doubles (2 KiB).</summary>
    private const int DepthBlockBytes = 2048;

    /// <summary>Rows of A per packed block: a multiple of every kernel's mr (6 and 4).</summary>
    private const int RowBlock = 192;

    /// <summary>Columns of B per packed block: at least n for the sizes that matter, so B is packed once per kc.</summary>
    private const int ColumnBlock = 2048;

    /// <summary>Below this many multiply-adds (m·n·k) a product runs on one thread: ~ a 96³ product.</summary>
    private const long ParallelThreshold = 96 * 96 * 96;

    /// <summary>
    /// C[m×n] (row-major, row stride ldc, column stride 1) = A·B, or C += A·B when accumulate.
    /// A is m×k with element (i,p) at a[i*aRowStride + p*aColStride]; B is k×n with (p,j) at
    /// b[p*bRowStride + j*bColStride]. Any strides (transposes are just swapped strides).
    /// m, n or k may be 0 (k == 0: C = 0 or unchanged).
    /// </summary>
    public static void Sgemm(
        int m, int n, int k, float* a, long aRowStride, long aColStride, float* b, long bRowStride, long bColStride,
        float* c, long ldc, bool accumulate) =>
        Run(CpuFeatures.Active, WorkerPool.ThreadCount, new Problem<float>(
            m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, ldc, accumulate));

    /// <summary>Float64 twin of <see cref="Sgemm(int, int, int, float*, long, long, float*, long, long, float*, long, bool)"/>.</summary>
    public static void Dgemm(
        int m, int n, int k, double* a, long aRowStride, long aColStride, double* b, long bRowStride, long bColStride,
        double* c, long ldc, bool accumulate) =>
        Run(CpuFeatures.Active, WorkerPool.ThreadCount, new Problem<double>(
            m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, ldc, accumulate));

    /// <summary>
    /// <see cref="Sgemm(int, int, int, float*, long, long, float*, long, long, float*, long, bool)"/> on a given
    /// kernel path and at most <paramref name="maxThreads"/> threads, so tests can check every path.
    /// </summary>
    internal static void Sgemm(
        CpuIsa isa, int maxThreads, int m, int n, int k, float* a, long aRowStride, long aColStride, float* b,
        long bRowStride, long bColStride, float* c, long ldc, bool accumulate) =>
        Run(isa, maxThreads, new Problem<float>(
            m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, ldc, accumulate));

    /// <summary>Float64 twin of the explicit-path <c>Sgemm</c>.</summary>
    internal static void Dgemm(
        CpuIsa isa, int maxThreads, int m, int n, int k, double* a, long aRowStride, long aColStride, double* b,
        long bRowStride, long bColStride, double* c, long ldc, bool accumulate) =>
        Run(isa, maxThreads, new Problem<double>(
            m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, ldc, accumulate));

    private static void Run<T>(CpuIsa isa, int maxThreads, Problem<T> problem)
        where T : unmanaged, INumber<T>
    {
        if (!CpuFeatures.IsSupported(isa))
        {
            throw new ArgumentException($"Gemm: kernel path {isa} is not supported on this CPU (best: {CpuFeatures.Best}).", nameof(isa));
        }

        Debug.Assert(problem.M >= 0 && problem.N >= 0 && problem.K >= 0, "Gemm: negative dimension");
        if (problem.M == 0 || problem.N == 0)
        {
            return;
        }

        if (problem.K == 0)
        {
            if (!problem.Accumulate)
            {
                for (int i = 0; i < problem.M; i++)
                {
                    new Span<T>(problem.C + i * problem.Ldc, problem.N).Clear();
                }
            }

            return;
        }

        var kernel = MicroKernel<T>.For(isa);
        int rowTiles = (problem.M + kernel.Rows - 1) / kernel.Rows;
        int columnPanels = (problem.N + kernel.Columns - 1) / kernel.Columns;
        long work = (long)problem.M * problem.N * problem.K;
        int threads = work < ParallelThreshold ? 1 : Math.Min(maxThreads, WorkerPool.ThreadCount);

        if (threads > 1 && rowTiles >= 2 * threads)
        {
            // Split M: each thread packs its own A, all share one packed B (see SharedPanelRegion).
            var region = new SharedPanelRegion<T>(problem, kernel, threads);
            if (WorkerPool.TryRun(threads, region.RunParticipant))
            {
                return;
            }
        }
        else if (threads > 1 && columnPanels >= 2)
        {
            // Too few rows to share: split N into independent column ranges, each packing its own A and B.
            int participants = Math.Min(threads, columnPanels);
            var split = new ColumnSplit<T>(problem, kernel, columnPanels, participants);
            if (WorkerPool.TryRun(participants, split.RunParticipant))
            {
                return;
            }
        }

        var scratch = GemmScratch.Current;
        long bSize = PackedBSize(problem, kernel);
        RunBlocked(
            problem, kernel, 0, problem.M, 0, 1, null,
            (T*)scratch.PackedB(0, bSize * sizeof(T)), (T*)scratch.PackedB(1, bSize * sizeof(T)), scratch);
    }

    /// <summary>Elements of one packed B block: kc × (nc rounded up to whole panels).</summary>
    private static long PackedBSize<T>(in Problem<T> problem, MicroKernel<T> kernel)
        where T : unmanaged, INumber<T>
    {
        int columns = Math.Min(ColumnBlock, problem.N);
        int panels = (columns + kernel.Columns - 1) / kernel.Columns;
        return (long)Math.Min(DepthBlock<T>(), problem.K) * panels * kernel.Columns;
    }

    private static int DepthBlock<T>()
        where T : unmanaged => DepthBlockBytes / sizeof(T);

    /// <summary>
    /// The blocked loops for rows [rowBegin, rowEnd) of C, run by participant <paramref name="index"/> of
    /// <paramref name="participants"/>. Each participant packs its share of every B block into the buffer of
    /// this block's parity, then waits at the barrier; the two buffers alternate, so one barrier per block is
    /// enough: nobody can pack block i+2 before everyone has passed block i+1, i.e. finished reading block i.
    /// </summary>
    private static void RunBlocked<T>(
        in Problem<T> problem, MicroKernel<T> kernel, int rowBegin, int rowEnd, int index, int participants,
        SpinBarrier? barrier, T* packedB0, T* packedB1, GemmScratch scratch)
        where T : unmanaged, INumber<T>
    {
        int mr = kernel.Rows;
        int nr = kernel.Columns;
        int depthBlock = DepthBlock<T>();
        T* packedA = (T*)scratch.PackedA((long)RowBlock * Math.Min(depthBlock, problem.K) * sizeof(T));
        T* tile = (T*)scratch.Tile((long)mr * nr * sizeof(T));
        int block = 0;

        for (int jc = 0; jc < problem.N; jc += ColumnBlock)
        {
            int nc = Math.Min(ColumnBlock, problem.N - jc);
            int panels = (nc + nr - 1) / nr;
            int firstPanel = index * panels / participants;
            int endPanel = (index + 1) * panels / participants;

            for (int pc = 0; pc < problem.K; pc += depthBlock)
            {
                int kc = Math.Min(depthBlock, problem.K - pc);
                T* packedB = (block++ & 1) == 0 ? packedB0 : packedB1;
                if (endPanel > firstPanel)
                {
                    GemmPacking.PackB(
                        problem.B + pc * problem.BRowStride + (jc + (long)firstPanel * nr) * problem.BColStride,
                        problem.BRowStride, problem.BColStride, kc, Math.Min(endPanel * nr, nc) - firstPanel * nr, nr,
                        packedB + (long)firstPanel * nr * kc);
                }

                barrier?.SignalAndWait();
                bool add = problem.Accumulate || pc > 0;

                for (int ic = rowBegin; ic < rowEnd; ic += RowBlock)
                {
                    int mc = Math.Min(RowBlock, rowEnd - ic);
                    GemmPacking.PackA(
                        problem.A + ic * problem.ARowStride + pc * problem.AColStride,
                        problem.ARowStride, problem.AColStride, mc, kc, mr, packedA);

                    for (int jr = 0; jr < panels; jr++)
                    {
                        int columns = Math.Min(nr, nc - jr * nr);
                        T* panelB = packedB + (long)jr * nr * kc;
                        T* cBlock = problem.C + ic * problem.Ldc + jc + jr * nr;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int rows = Math.Min(mr, mc - ir);
                            T* panelA = packedA + (long)ir * kc;
                            T* cTile = cBlock + ir * problem.Ldc;
                            if (rows == mr && columns == nr)
                            {
                                kernel.Run(kc, panelA, panelB, cTile, problem.Ldc, add);
                            }
                            else
                            {
                                // Ragged edge: the kernel fills a whole tile aside, then the valid part is written.
                                kernel.Run(kc, panelA, panelB, tile, nr, false);
                                WriteEdgeTile(tile, nr, cTile, problem.Ldc, rows, columns, add);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>C[r, j] (+)= tile[r·tileStride + j] for r &lt; rows, j &lt; columns.</summary>
    private static void WriteEdgeTile<T>(T* tile, int tileStride, T* c, long ldc, int rows, int columns, bool add)
        where T : unmanaged, INumber<T>
    {
        for (int r = 0; r < rows; r++)
        {
            T* source = tile + r * tileStride;
            T* target = c + r * ldc;
            int j = 0;
            for (; j <= columns - Vector<T>.Count; j += Vector<T>.Count)
            {
                Vector<T> value = Vector.Load(source + j);
                Vector.Store(add ? value + Vector.Load(target + j) : value, target + j);
            }

            for (; j < columns; j++)
            {
                target[j] = add ? target[j] + source[j] : source[j];
            }
        }
    }

    /// <summary>The operands of one product; <see cref="Columns"/> narrows it to a range of columns of C.</summary>
    private readonly struct Problem<T>(
        int m, int n, int k, T* a, long aRowStride, long aColStride, T* b, long bRowStride, long bColStride,
        T* c, long ldc, bool accumulate)
        where T : unmanaged
    {
        public readonly int M = m;
        public readonly int N = n;
        public readonly int K = k;
        public readonly T* A = a;
        public readonly long ARowStride = aRowStride;
        public readonly long AColStride = aColStride;
        public readonly T* B = b;
        public readonly long BRowStride = bRowStride;
        public readonly long BColStride = bColStride;
        public readonly T* C = c;
        public readonly long Ldc = ldc;
        public readonly bool Accumulate = accumulate;

        /// <summary>The same product restricted to columns [begin, end) of B and C.</summary>
        public Problem<T> Columns(int begin, int end) => new(
            M, end - begin, K, A, ARowStride, AColStride, B + begin * BColStride, BRowStride, BColStride,
            C + begin, Ldc, Accumulate);
    }

    /// <summary>A micro-kernel and its tile shape (mr rows × nr columns).</summary>
    private readonly struct MicroKernel<T>(delegate*<long, T*, T*, T*, long, bool, void> run, int rows, int columns)
        where T : unmanaged, INumber<T>
    {
        public readonly delegate*<long, T*, T*, T*, long, bool, void> Run = run;
        public readonly int Rows = rows;
        public readonly int Columns = columns;

        public static MicroKernel<T> For(CpuIsa isa) => isa switch
        {
            CpuIsa.Avx512 => new(&GemmKernels.Avx512<T>, GemmKernels.Avx512Rows, 4 * Vector512<T>.Count),
            CpuIsa.Avx2 => new(&GemmKernels.Avx2<T>, GemmKernels.Avx2Rows, 2 * Vector256<T>.Count),
            _ => new(&GemmKernels.Portable<T>, GemmKernels.PortableRows, 2 * Vector<T>.Count),
        };
    }

    /// <summary>
    /// The multi-threaded scheme: participant t computes its own range of whole row tiles, packing its own A,
    /// and packs 1/threads of every B block into buffers all participants read (the caller's scratch).
    /// </summary>
    private sealed class SharedPanelRegion<T>
        where T : unmanaged, INumber<T>
    {
        private readonly Problem<T> problem;
        private readonly MicroKernel<T> kernel;
        private readonly int participants;
        private readonly SpinBarrier barrier;
        private readonly T* packedB0;
        private readonly T* packedB1;

        public SharedPanelRegion(Problem<T> problem, MicroKernel<T> kernel, int participants)
        {
            this.problem = problem;
            this.kernel = kernel;
            this.participants = participants;
            barrier = new SpinBarrier(participants);
            var scratch = GemmScratch.Current;
            long bytes = PackedBSize(problem, kernel) * sizeof(T);
            packedB0 = (T*)scratch.PackedB(0, bytes);
            packedB1 = (T*)scratch.PackedB(1, bytes);
        }

        public void RunParticipant(int index)
        {
            int rowTiles = (problem.M + kernel.Rows - 1) / kernel.Rows;
            int rowBegin = index * rowTiles / participants * kernel.Rows;
            int rowEnd = Math.Min(problem.M, (index + 1) * rowTiles / participants * kernel.Rows);
            RunBlocked(
                problem, kernel, rowBegin, rowEnd, index, participants, barrier, packedB0, packedB1,
                GemmScratch.Current);
        }
    }

    /// <summary>The fallback for short, wide products: each participant owns a range of whole column panels.</summary>
    private sealed class ColumnSplit<T>(Problem<T> problem, MicroKernel<T> kernel, int columnPanels, int participants)
        where T : unmanaged, INumber<T>
    {
        public void RunParticipant(int index)
        {
            int begin = index * columnPanels / participants * kernel.Columns;
            int end = Math.Min(problem.N, (index + 1) * columnPanels / participants * kernel.Columns);
            if (begin >= end)
            {
                return;
            }

            var part = problem.Columns(begin, end);
            var scratch = GemmScratch.Current;
            long bytes = PackedBSize(part, kernel) * sizeof(T);
            RunBlocked(
                part, kernel, 0, part.M, 0, 1, null, (T*)scratch.PackedB(0, bytes), (T*)scratch.PackedB(1, bytes),
                scratch);
        }
    }
}
