using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// A right-hand operand B [K, N] packed once for many products C (+)= A · B with small A: the recurrent
/// weight W_hhᵀ, multiplied by a [batch, H] state at every time step. <see cref="Gemm"/> packs B on every
/// call (for a [32, 256] × [256, 1024] step that copy costs as much as the multiply); here B is laid out
/// once in column panels of the micro-kernel's width nr, each panel's K rows contiguous (zero-padded to
/// nr), and each product only runs the micro-kernels of <see cref="GemmKernels"/> over (row tile, panel).
/// Products large enough share the panels between the pool's threads: each participant starts at its own
/// share of the panels and goes on round the others' until every panel is claimed, so that when all run on
/// time each keeps the same panels (in its own L2) from one product to the next, and when a helper starts
/// late, or not at all on a loaded machine, the others take its panels.
/// </summary>
/// <remarks>
/// A is read in place at its own row stride (column stride 1), a short last row tile by the kernel of its
/// height; a ragged last panel of C is computed aside and then written. The packed buffer is native memory,
/// freed by <see cref="Dispose"/>.
/// </remarks>
internal sealed unsafe class PackedMatrix<T> : IDisposable
    where T : unmanaged, INumber<T>
{
    /// <summary>Below this many multiply-adds (m·n·k) a product runs on the calling thread alone.</summary>
    private const long ParallelThreshold = 64 * 64 * 64;

    private readonly int rows;
    private readonly int columns;
    private readonly int panels;
    private readonly int mr;
    private readonly int nr;
    private readonly int vectors;
    private readonly delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[] kernels;
    private readonly Action<int> participant;
    private T* packed;

    // The parallel product in progress, for the participants of its region.
    private Product current;
    private int threads;
    private int productNumber;        // numbers the parallel products: a panel is claimed for product p by writing p
    private readonly int[] claimedFor; // per panel, the last product it was claimed for

    /// <summary>Packs B [k, n], element (p, j) at b[p·bRowStride + j·bColStride] (B = Wᵀ is W's strides swapped).</summary>
    public PackedMatrix(T* b, int k, int n, long bRowStride, long bColStride)
        : this(CpuFeatures.Active, b, k, n, bRowStride, bColStride)
    {
    }

    /// <summary>As the other constructor, on a given kernel path (for tests of every path).</summary>
    public PackedMatrix(CpuIsa isa, T* b, int k, int n, long bRowStride, long bColStride)
    {
        (mr, int vector, vectors) = GemmKernels.TileShape<T>(isa);
        nr = vector * vectors;
        kernels = GemmKernels.Table<T>(isa);
        rows = k;
        columns = n;
        panels = (n + nr - 1) / nr;
        claimedFor = new int[panels];
        packed = (T*)NativeMemory.AlignedAlloc((nuint)((long)panels * k * nr * sizeof(T)), 64);
        participant = RunParticipant;
        // The GEMM's panel layout, the last panel zero-padded to nr; a large B (the LSTM's 256 × 1024 W_hhᵀ) by
        // the pool's threads, whole panels each, since the layer's time loop waits for it.
        WorkerPool.For(panels, (long)k * n < ParallelPackThreshold ? panels : 1, (first, end) => GemmPacking.PackB(
            b + (long)first * nr * bColStride, bRowStride, bColStride, k, Math.Min(n, end * nr) - first * nr, nr, nr, packed + (long)first * k * nr));
    }

    /// <summary>From this many elements of B on (k·n), the constructor packs on the pool's threads.</summary>
    private const long ParallelPackThreshold = 64 * 1024;

    /// <summary>K: rows of B, columns of A.</summary>
    public int Rows => rows;

    /// <summary>N: columns of B and C.</summary>
    public int Columns => columns;

    /// <summary>Rows of the micro-kernel's tile (mr): row counts that are multiples of it waste nothing.</summary>
    public int TileRows => mr;

    /// <summary>
    /// C[m×n] = A·B, or C += A·B when <paramref name="accumulate"/>. A is m×k row-major with row stride
    /// <paramref name="lda"/>; C row-major with row stride <paramref name="ldc"/>. At most
    /// <paramref name="maxThreads"/> threads (tests check each count); with 1, nothing of the object but the
    /// packed B is touched, so several threads may run their own products with the same B at once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Multiply(int m, T* a, long lda, T* c, long ldc, bool accumulate, int maxThreads = int.MaxValue)
    {
        ObjectDisposedException.ThrowIf(packed == null, this);
        if (m == 0 || columns == 0) return;
        if (rows == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++) new Span<T>(c + i * ldc, columns).Clear();
            return;
        }
        var product = new Product(m, a, lda, c, ldc, accumulate);
        int shared = Math.Min(Math.Min(panels, WorkerPool.ThreadCount), maxThreads);
        if ((long)m * columns * rows < ParallelThreshold || shared < 2)
        {
            T* tile = EdgeTile();
            for (int panel = 0; panel < panels; panel++) RunPanel(product, tile, panel);
            return;
        }
        current = product;
        threads = shared;
        productNumber++;
        WorkerPool.Share(shared, participant);
        current = default;
    }

    /// <summary>Claims panels from its own share on, round all of them: every row tile against each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunParticipant(int index)
    {
        var product = current;
        T* tile = EdgeTile();
        int first = index * panels / threads;
        for (int step = 0; step < panels; step++)
        {
            int panel = (first + step) % panels;
            if (Interlocked.Exchange(ref claimedFor[panel], productNumber) != productNumber) RunPanel(product, tile, panel);
        }
    }

    /// <summary>C[:, panel] (+)= A · B[:, panel], row tile by row tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunPanel(in Product p, T* tile, int panel)
    {
        T* panelB = packed + (long)panel * rows * nr;
        int firstColumn = panel * nr;
        int width = Math.Min(nr, columns - firstColumn);
        for (int ir = 0; ir < p.M; ir += mr)
        {
            int tileRows = Math.Min(mr, p.M - ir);
            var kernel = kernels[GemmKernels.Index(tileRows, vectors)]; // a short last row tile reads and writes only its rows
            T* tileA = p.A + ir * p.Lda;
            T* tileC = p.C + ir * p.Ldc + firstColumn;
            if (width == nr)
            {
                kernel(rows, tileA, p.Lda, 1, panelB, nr, tileC, p.Ldc, p.Accumulate, default, null, 0);
                continue;
            }
            // Ragged last panel: the kernel fills whole vectors aside, then the valid columns are written.
            kernel(rows, tileA, p.Lda, 1, panelB, nr, tile, nr, false, default, null, 0);
            for (int r = 0; r < tileRows; r++)
            {
                var source = new ReadOnlySpan<T>(tile + r * nr, width);
                var target = new Span<T>(tileC + r * p.Ldc, width);
                if (p.Accumulate) System.Numerics.Tensors.TensorPrimitives.Add(target, source, target);
                else source.CopyTo(target);
            }
        }
    }

    /// <summary>The operands of one product.</summary>
    private readonly struct Product(int m, T* a, long lda, T* c, long ldc, bool accumulate)
    {
        public readonly int M = m;
        public readonly T* A = a;
        public readonly long Lda = lda;
        public readonly T* C = c;
        public readonly long Ldc = ldc;
        public readonly bool Accumulate = accumulate;
    }

    /// <summary>The calling thread's C tile for a ragged last panel.</summary>
    private T* EdgeTile() => (T*)GemmScratch.Current.Tile((long)mr * nr * sizeof(T));

    /// <summary>Frees the packed buffer.</summary>
    public void Dispose()
    {
        if (packed == null) return;
        NativeMemory.AlignedFree(packed);
        packed = null;
    }
}
