using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// General matrix multiply for float32 and float64, BLIS-style: B is packed in kc × nc blocks (shared by all
/// threads, in L3), A in mc × kc blocks (each thread its own, in L2) unless its rows are read in place
/// (<see cref="ReadsAInPlaceFor"/>), and a register-blocked FMA micro-kernel computes one mr × nr tile of C per call,
/// looping over kc. Loop order (outer to inner): jc (nc columns), pc (kc depth), ic (mc rows), jr (nr columns),
/// ir (mr rows); threads sharing a block take ic inside groups of jr. Products too small to pay for a second thread
/// run on the caller alone; larger ones share the work as in <c>Gemm.Parallel.cs</c>. The driver and packing
/// loops are marked AggressiveOptimization like the kernels: tiered compilation would otherwise run them
/// unoptimised for their first ~100 ms, which is all of a short benchmark and the first steps of training.
/// </summary>
internal static unsafe partial class Gemm
{
    /// <summary>
    /// Depth of a packed block, in bytes per row: 1,024 floats, 512 doubles (4 KiB). Deeper blocks mean fewer passes
    /// over C and fewer block barriers (bench <c>gemm</c>; the figures are in bench/README.md).
    /// </summary>
    private const int DepthBlockBytes = 4096;

    /// <summary>Bytes of one packed block of A: with the B panel streaming beside it, it stays in a 1 MiB L2.</summary>
    private const int RowBlockBytes = 384 * 1024;

    /// <summary>
    /// Whether row-major A is read in place by the micro-kernels at every size instead of packed. A tile's six rows
    /// are then six streams a kc-row apart, which may all fall in one L1 set (rows 4 KiB apart at n = 1024): with 12
    /// ways they fit beside the B panel's lines and packing nothing is faster; with 8 ways the streams evict each other,
    /// so there A is packed (bench <c>gemm</c> with <c>GEMM_COMPARE_A=1</c>; figures in bench/README.md).
    /// </summary>
    private static readonly bool ReadsAInPlace = CpuFeatures.L1DataWays >= 12;

    /// <summary>Columns of B per packed block: at least n for the sizes that matter, so B is packed once per kc.</summary>
    private const int ColumnBlock = 2048;

    /// <summary>
    /// Operands up to this size (A and B together) are read in place, unpacked: the packing copy costs more than
    /// the packed layout saves up to here, while beyond it rows many KiB apart share L1 sets and packing wins
    /// (bench <c>gemm</c>; figures in bench/README.md).
    /// </summary>
    private const long DirectBytes = 4 * 1024 * 1024;

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
            m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, ldc, accumulate, ReadsAInPlace, default));

    /// <summary>
    /// <see cref="Sgemm(int, int, int, float*, long, long, float*, long, long, float*, long, bool)"/> with a store
    /// epilogue: C = act(A·B (+ C) + bias), the bias and activation applied as the last block of depth is stored.
    /// </summary>
    public static void Sgemm(
        int m, int n, int k, float* a, long aRowStride, long aColStride, float* b, long bRowStride, long bColStride,
        float* c, long ldc, bool accumulate, GemmEpilogue<float> epilogue) =>
        Run(CpuFeatures.Active, WorkerPool.ThreadCount, new Problem<float>(
            m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, ldc, accumulate, ReadsAInPlace, epilogue));

    /// <summary>Float64 twin of the <c>Sgemm</c> with an epilogue.</summary>
    public static void Dgemm(
        int m, int n, int k, double* a, long aRowStride, long aColStride, double* b, long bRowStride, long bColStride,
        double* c, long ldc, bool accumulate, GemmEpilogue<double> epilogue) =>
        Run(CpuFeatures.Active, WorkerPool.ThreadCount, new Problem<double>(
            m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, ldc, accumulate, ReadsAInPlace, epilogue));

    /// <summary>Float64 twin of <see cref="Sgemm(int, int, int, float*, long, long, float*, long, long, float*, long, bool)"/>.</summary>
    public static void Dgemm(
        int m, int n, int k, double* a, long aRowStride, long aColStride, double* b, long bRowStride, long bColStride,
        double* c, long ldc, bool accumulate) =>
        Run(CpuFeatures.Active, WorkerPool.ThreadCount, new Problem<double>(
            m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, ldc, accumulate, ReadsAInPlace, default));

    /// <summary>
    /// <see cref="Sgemm(int, int, int, float*, long, long, float*, long, long, float*, long, bool)"/> on a given
    /// kernel path and at most <paramref name="maxThreads"/> threads, so tests can check every path;
    /// <paramref name="readAInPlace"/> overrides this machine's choice (<see cref="ReadsAInPlace"/>) for a large row-major A;
    /// <paramref name="epilogue"/> as in the public overload that takes one.
    /// </summary>
    internal static void Sgemm(
        CpuIsa isa, int maxThreads, int m, int n, int k, float* a, long aRowStride, long aColStride, float* b,
        long bRowStride, long bColStride, float* c, long ldc, bool accumulate, bool? readAInPlace = null,
        GemmEpilogue<float> epilogue = default) =>
        Run(isa, maxThreads, new Problem<float>(
            m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, ldc, accumulate, readAInPlace ?? ReadsAInPlace, epilogue));

    /// <summary>Float64 twin of the explicit-path <c>Sgemm</c>.</summary>
    internal static void Dgemm(
        CpuIsa isa, int maxThreads, int m, int n, int k, double* a, long aRowStride, long aColStride, double* b,
        long bRowStride, long bColStride, double* c, long ldc, bool accumulate, bool? readAInPlace = null,
        GemmEpilogue<double> epilogue = default) =>
        Run(isa, maxThreads, new Problem<double>(
            m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, ldc, accumulate, readAInPlace ?? ReadsAInPlace, epilogue));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            for (int i = 0; i < problem.M; i++)
            {
                if (!problem.Accumulate)
                {
                    new Span<T>(problem.C + i * problem.Ldc, problem.N).Clear();
                }

                GemmKernels.ApplyEpilogue(problem.C + i * problem.Ldc, problem.N, problem.Epilogue);
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
            // Split M: threads share each packed B block and take row chunks of it as they come free.
            WorkerPool.Share(threads, SharedPanelRegion<T>.For(problem, kernel, threads));
            return;
        }

        if (threads > 1 && columnPanels >= 2)
        {
            // Too few rows to share: split N into independent column ranges, each packing its own A and B.
            int ranges = Math.Min(threads, columnPanels);
            WorkerPool.Share(ranges, ColumnSplit<T>.For(problem, kernel, columnPanels, ranges));
            return;
        }

        RunBlocked(problem, kernel, GemmScratch.Current);
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
    /// Rows of A per packed block for <paramref name="problem"/>'s depth: <see cref="RowBlockBytes"/> of A, at most
    /// 192 rows (kc ≤ 512 floats), a multiple of 12 so that every kernel's mr (6 and 4) divides it.
    /// </summary>
    private static int RowBlock<T>(in Problem<T> problem)
        where T : unmanaged => Math.Clamp(RowBlockBytes / (Math.Min(DepthBlock<T>(), problem.K) * sizeof(T)) / 12 * 12, 12, 192);

    /// <summary>The whole product on the calling thread: the blocked loops jc, pc, then <see cref="ComputeRows"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunBlocked<T>(in Problem<T> problem, MicroKernel<T> kernel, GemmScratch scratch)
        where T : unmanaged, INumber<T>
    {
        int nr = kernel.Columns;
        int depthBlock = DepthBlock<T>();
        int rowBlock = RowBlock(problem);
        var workspace = new Workspace<T>(problem, kernel, scratch);
        T* packedB = (T*)scratch.PackedB(0, PackedBSize(problem, kernel) * sizeof(T));
        bool directB = IsDirect(problem) && problem.BColStride == 1;

        for (int jc = 0; jc < problem.N; jc += ColumnBlock)
        {
            int nc = Math.Min(ColumnBlock, problem.N - jc);
            int panels = (nc + nr - 1) / nr;
            int firstPacked = directB ? FirstPackedPanel(kernel, nc) : 0;
            for (int pc = 0; pc < problem.K; pc += depthBlock)
            {
                int kc = Math.Min(depthBlock, problem.K - pc);
                PackPanels(problem, kernel, jc, nc, pc, kc, firstPacked, panels, packedB, shared: false);
                for (int ic = 0; ic < problem.M; ic += rowBlock)
                {
                    ComputeRows(problem, kernel, ic, Math.Min(rowBlock, problem.M - ic), jc, nc, pc, kc, packedB, workspace, 0, panels);
                }
            }
        }
    }

    /// <summary>Whether the operands are small enough to be read in place (see <see cref="ComputeRows"/>).</summary>
    private static bool IsDirect<T>(in Problem<T> problem)
        where T : unmanaged => ((long)problem.M + problem.N) * problem.K * sizeof(T) <= DirectBytes;

    /// <summary>
    /// Whether the kernels read A's rows where they are instead of a packed copy: small operands (<see cref="IsDirect"/>),
    /// or a row-major A where <see cref="Problem{T}.ReadAInPlace"/> says so.
    /// </summary>
    private static bool ReadsAInPlaceFor<T>(in Problem<T> problem)
        where T : unmanaged => IsDirect(problem) || (problem.ReadAInPlace && problem.AColStride == 1);

    /// <summary>
    /// Packs panels [firstPanel, endPanel) of the kc × nc block of B at (pc, jc) into their places in <paramref name="packedB"/>;
    /// <paramref name="shared"/>: the block is read by several threads (see <see cref="GemmPacking.PackBRows"/>).
    /// </summary>
    private static void PackPanels<T>(
        in Problem<T> problem, MicroKernel<T> kernel, int jc, int nc, int pc, int kc, int firstPanel, int endPanel,
        T* packedB, bool shared)
        where T : unmanaged, INumber<T> =>
        PackPanelRows(problem, kernel, jc, nc, pc, kc, 0, kc, firstPanel, endPanel, packedB, shared);

    /// <summary>Rows [firstRow, firstRow + rows) of what <see cref="PackPanels"/> packs; the block's other rows are left as they are.</summary>
    private static void PackPanelRows<T>(
        in Problem<T> problem, MicroKernel<T> kernel, int jc, int nc, int pc, int kc, int firstRow, int rows,
        int firstPanel, int endPanel, T* packedB, bool shared)
        where T : unmanaged, INumber<T>
    {
        int nr = kernel.Columns;
        if (endPanel <= firstPanel)
        {
            return;
        }

        int columns = Math.Min(endPanel * nr, nc) - firstPanel * nr;
        GemmPacking.PackBRows(
            problem.B + pc * problem.BRowStride + (jc + (long)firstPanel * nr) * problem.BColStride,
            problem.BRowStride, problem.BColStride, kc, firstRow, rows, columns, nr, kernel.PanelWidth(columns % nr),
            packedB + (long)firstPanel * nr * kc, streaming: shared);
    }

    /// <summary>
    /// With B read in place, the first panel that still needs packing: the partial last one, unless its
    /// columns fill whole vectors (then the narrower kernel reads it in place too); <c>panels</c> if none.
    /// </summary>
    private static int FirstPackedPanel<T>(MicroKernel<T> kernel, int nc)
        where T : unmanaged, INumber<T>
    {
        int lastColumns = nc % kernel.Columns;
        bool lastInPlace = lastColumns == 0 || lastColumns % kernel.Vector == 0;
        return nc / kernel.Columns + (lastInPlace ? (lastColumns == 0 ? 0 : 1) : 0);
    }

    /// <summary>
    /// C[ic..ic+mc, jc..jc+nc) (+)= A[ic.., pc..pc+kc) · B[pc.., jc..], over B's panels [firstPanel, endPanel) of the
    /// block: packs this block of A, then runs the micro-kernel over it, jr (B panels) outside ir (A panels), so one
    /// B panel serves every A panel in turn.
    /// </summary>
    /// <remarks>
    /// Small operands are not packed: when A and B together are at most <see cref="DirectBytes"/> the
    /// kernel reads A at its own strides and row-major B in place, since the copy would cost as much as the
    /// multiply saves (it is most of the time at n = 64). Only a ragged last panel of B is still packed, zero-padded;
    /// <paramref name="packedB"/> then holds just the last, partial panel of B. A larger row-major A is read in place too
    /// where <see cref="Problem{T}.ReadAInPlace"/> says so (<see cref="ReadsAInPlace"/>).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ComputeRows<T>(
        in Problem<T> problem, MicroKernel<T> kernel, int ic, int mc, int jc, int nc, int pc, int kc, T* packedB,
        in Workspace<T> workspace, int firstPanel, int endPanel)
        where T : unmanaged, INumber<T>
    {
        int mr = kernel.Rows;
        int nr = kernel.Columns;
        bool directB = IsDirect(problem) && problem.BColStride == 1;
        int firstPacked = directB ? FirstPackedPanel(kernel, nc) : 0;
        bool add = problem.Accumulate || pc > 0;
        // The bias and activation go on with the last block of depth only, when C holds the whole sum.
        var epilogue = pc + kc == problem.K ? problem.Epilogue.From(jc) : default;
        T* packedA = workspace.PackedA;

        T* blockA = problem.A + ic * problem.ARowStride + pc * problem.AColStride;
        // In place, the kernels read only the rows a tile has, so a short last tile too.
        int directRows = ReadsAInPlaceFor(problem) ? mc : 0;
        GemmPacking.PackA(
            blockA + directRows * problem.ARowStride, problem.ARowStride, problem.AColStride,
            mc - directRows, kc, mr, packedA + (long)directRows * kc);

        for (int jr = firstPanel; jr < endPanel; jr++)
        {
            int columns = Math.Min(nr, nc - jr * nr);
            int width = kernel.PanelWidth(columns);
            bool inPlaceB = jr < firstPacked;
            T* panelB = inPlaceB ? problem.B + pc * problem.BRowStride + jc + jr * nr : packedB + (long)jr * nr * kc;
            long bRowStride = inPlaceB ? problem.BRowStride : width;
            T* cBlock = problem.C + ic * problem.Ldc + jc + jr * nr;
            var panelEpilogue = epilogue.From(jr * nr);

            // The next packed panel is fetched toward L2 while this one is used, a share per row tile: its first tile
            // otherwise read it from L3 or memory (each row chunk reads a group's panels again). Bench gemm; figures
            // in bench/README.md.
            bool fetchNext = jr + 1 < endPanel && jr + 1 >= firstPacked;
            T* nextB = packedB + (long)(jr + 1) * nr * kc;
            long nextBytes = fetchNext ? (long)kernel.PanelWidth(Math.Min(nr, nc - ((jr + 1) * nr))) * kc * sizeof(T) : 0;
            long fetchShare = (nextBytes / ((mc + mr - 1) / mr) + 63) / 64 * 64;
            for (int ir = 0; ir < mc; ir += mr)
            {
                int rows = Math.Min(mr, mc - ir);
                bool inPlaceA = ir < directRows;
                T* panelA = inPlaceA ? blockA + ir * problem.ARowStride : packedA + (long)ir * kc;
                long aRowStride = inPlaceA ? problem.ARowStride : 1;
                long aColStride = inPlaceA ? problem.AColStride : mr;
                T* cTile = cBlock + ir * problem.Ldc;
                long fetched = (long)(ir / mr) * fetchShare;
                byte* fetch = (byte*)nextB + fetched;
                long fetchBytes = Math.Clamp(nextBytes - fetched, 0, fetchShare);
                var run = kernel.For(rows, columns);
                if (columns == width)
                {
                    run(kc, panelA, aRowStride, aColStride, panelB, bRowStride, cTile, problem.Ldc, add, panelEpilogue, fetch, fetchBytes);
                }
                else
                {
                    // Ragged columns: the kernel fills whole vectors aside, then the valid part is written.
                    run(kc, panelA, aRowStride, aColStride, panelB, bRowStride, workspace.Tile, nr, false, default, fetch, fetchBytes);
                    WriteEdgeTile(workspace.Tile, nr, cTile, problem.Ldc, rows, columns, add, panelEpilogue);
                }
            }
        }
    }

    /// <summary>C[r, j] (+)= tile[r·tileStride + j] for r &lt; rows, j &lt; columns, then the epilogue on those elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteEdgeTile<T>(T* tile, int tileStride, T* c, long ldc, int rows, int columns, bool add, in GemmEpilogue<T> epilogue)
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

            GemmKernels.ApplyEpilogue(target, columns, epilogue);
        }
    }

    /// <summary>
    /// The operands of one product, whether a row-major A is read in place when it is too large for
    /// <see cref="IsDirect"/>, and the epilogue of its store; <see cref="Columns"/> narrows it to a range of columns of C.
    /// </summary>
    private readonly struct Problem<T>(
        int m, int n, int k, T* a, long aRowStride, long aColStride, T* b, long bRowStride, long bColStride,
        T* c, long ldc, bool accumulate, bool readAInPlace, GemmEpilogue<T> epilogue)
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
        public readonly bool ReadAInPlace = readAInPlace;
        public readonly GemmEpilogue<T> Epilogue = epilogue;

        /// <summary>The same product restricted to columns [begin, end) of B and C.</summary>
        public Problem<T> Columns(int begin, int end) => new(
            M, end - begin, K, A, ARowStride, AColStride, B + begin * BColStride, BRowStride, BColStride,
            C + begin, Ldc, Accumulate, ReadAInPlace, Epilogue.From(begin));
    }

    /// <summary>
    /// A path's micro-kernels: the full mr × nr tile, and shorter and narrower ones (whole vectors of
    /// <see cref="Vector"/> elements) for the last row tile and the last, partial panel of B.
    /// </summary>
    private readonly struct MicroKernel<T>
        where T : unmanaged, INumber<T>
    {
        public readonly int Rows;
        public readonly int Columns;
        public readonly int Vector;
        private readonly delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[] table;

        private MicroKernel(int rows, int vector, int vectors, CpuIsa isa)
        {
            Rows = rows;
            Vector = vector;
            Columns = vector * vectors;
            table = GemmKernels.Table<T>(isa);
        }

        public static MicroKernel<T> For(CpuIsa isa)
        {
            var (rows, vector, vectors) = GemmKernels.TileShape<T>(isa);
            return new(rows, vector, vectors, isa);
        }

        /// <summary>Width of the packed panel that holds <paramref name="columns"/> columns: whole vectors.</summary>
        public int PanelWidth(int columns) => Math.Min(Columns, (columns + Vector - 1) / Vector * Vector);

        /// <summary>The kernel for <paramref name="rows"/> (at most <see cref="Rows"/>) of a panel of <paramref name="columns"/> columns (rounded up to whole vectors).</summary>
        public delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void> For(int rows, int columns) =>
            table[GemmKernels.Index(rows, PanelWidth(columns) / Vector)];
    }

    /// <summary>One thread's packed-A block and edge tile, sized for a product.</summary>
    private readonly struct Workspace<T>
        where T : unmanaged, INumber<T>
    {
        public readonly T* PackedA;
        public readonly T* Tile;

        public Workspace(in Problem<T> problem, MicroKernel<T> kernel, GemmScratch scratch)
        {
            PackedA = (T*)scratch.PackedA((long)RowBlock(problem) * Math.Min(DepthBlock<T>(), problem.K) * sizeof(T));
            Tile = (T*)scratch.Tile((long)kernel.Rows * kernel.Columns * sizeof(T));
        }
    }
}
