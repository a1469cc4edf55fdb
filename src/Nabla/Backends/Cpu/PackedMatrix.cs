using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// A right-hand operand B [K, N] packed once for many products C (+)= A · B with small A: the recurrent
/// weight W_hhᵀ, multiplied by a [batch, H] state at every time step. <see cref="Gemm"/> packs B on every
/// call (for a [32, 256] × [256, 1024] step that copy costs as much as the multiply); here B is laid out
/// once in column panels of the micro-kernel's width nr, each panel's K rows contiguous (zero-padded to
/// nr), and each product only runs the micro-kernels of <see cref="GemmKernels"/> over (row tile, panel).
/// Products large enough share the panels between the pool's threads, taken by ticket.
/// </summary>
/// <remarks>
/// A is read in place at its own row stride (column stride 1). A ragged last row tile is copied into a
/// zero-padded block first (the micro-kernel always reads mr rows), and a ragged tile of C is computed
/// aside and then written. The packed buffer is native memory, freed by <see cref="Dispose"/>.
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
    private readonly delegate*<long, T*, long, long, T*, long, T*, long, bool, void> kernel;
    private readonly Action<int> participant;
    private T* packed;

    // The product in progress, for the participants of a parallel region.
    private int m;
    private T* a;
    private long lda;
    private T* c;
    private long ldc;
    private bool accumulate;
    private int nextPanel;

    /// <summary>Packs B [k, n], element (p, j) at b[p·bRowStride + j·bColStride] (B = Wᵀ is W's strides swapped).</summary>
    public PackedMatrix(T* b, int k, int n, long bRowStride, long bColStride)
        : this(CpuFeatures.Active, b, k, n, bRowStride, bColStride)
    {
    }

    /// <summary>As the other constructor, on a given kernel path (for tests of every path).</summary>
    public PackedMatrix(CpuIsa isa, T* b, int k, int n, long bRowStride, long bColStride)
    {
        switch (isa)
        {
            case CpuIsa.Avx512:
                (mr, nr) = (GemmKernels.Avx512Rows, 4 * Vector512<T>.Count);
                kernel = &GemmKernels.Avx512<T, GemmKernels.FourVectors>;
                break;
            case CpuIsa.Avx2:
                (mr, nr) = (GemmKernels.Avx2Rows, 2 * Vector256<T>.Count);
                kernel = &GemmKernels.Avx2<T, GemmKernels.TwoVectors>;
                break;
            default:
                (mr, nr) = (GemmKernels.PortableRows, 2 * Vector<T>.Count);
                kernel = &GemmKernels.Portable<T, GemmKernels.TwoVectors>;
                break;
        }
        rows = k;
        columns = n;
        panels = (n + nr - 1) / nr;
        packed = (T*)NativeMemory.AlignedAlloc((nuint)((long)panels * k * nr * sizeof(T)), 64);
        participant = RunParticipant;
        Pack(b, bRowStride, bColStride);
    }

    /// <summary>K: rows of B, columns of A.</summary>
    public int Rows => rows;

    /// <summary>N: columns of B and C.</summary>
    public int Columns => columns;

    /// <summary>
    /// C[m×n] = A·B, or C += A·B when <paramref name="accumulate"/>. A is m×k row-major with row stride
    /// <paramref name="lda"/>; C row-major with row stride <paramref name="ldc"/>. At most
    /// <paramref name="maxThreads"/> threads (tests check each count).
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
        this.m = m;
        this.a = a;
        this.lda = lda;
        this.c = c;
        this.ldc = ldc;
        this.accumulate = accumulate;
        nextPanel = 0;
        int threads = Math.Min(Math.Min(panels, WorkerPool.ThreadCount), maxThreads);
        if ((long)m * columns * rows >= ParallelThreshold && threads > 1)
            WorkerPool.Share(threads, participant);
        else
            RunParticipant(0);
        this.a = this.c = null;
    }

    /// <summary>Takes panels by ticket until none is left: every row tile against each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunParticipant(int index)
    {
        var scratch = GemmScratch.Current;
        int fullRows = m / mr * mr;
        T* paddedA = null;
        if (fullRows < m)
        {
            // The ragged last row tile, zero-padded to mr rows (row stride k).
            paddedA = (T*)scratch.PackedA((long)mr * rows * sizeof(T));
            for (int r = 0; r < mr; r++)
            {
                var target = new Span<T>(paddedA + (long)r * rows, rows);
                if (fullRows + r < m) new ReadOnlySpan<T>(a + (fullRows + r) * lda, rows).CopyTo(target);
                else target.Clear();
            }
        }
        T* tile = (T*)scratch.Tile((long)mr * nr * sizeof(T));
        for (int panel = Interlocked.Increment(ref nextPanel) - 1; panel < panels; panel = Interlocked.Increment(ref nextPanel) - 1)
        {
            T* panelB = packed + (long)panel * rows * nr;
            int first = panel * nr;
            int width = Math.Min(nr, columns - first);
            for (int ir = 0; ir < m; ir += mr)
            {
                int tileRows = Math.Min(mr, m - ir);
                T* tileA = ir < fullRows ? a + ir * lda : paddedA;
                long tileLda = ir < fullRows ? lda : rows;
                T* tileC = c + ir * ldc + first;
                if (tileRows == mr && width == nr)
                {
                    kernel(rows, tileA, tileLda, 1, panelB, nr, tileC, ldc, accumulate);
                    continue;
                }
                kernel(rows, tileA, tileLda, 1, panelB, nr, tile, nr, false);
                for (int r = 0; r < tileRows; r++)
                {
                    var source = new ReadOnlySpan<T>(tile + r * nr, width);
                    var target = new Span<T>(tileC + r * ldc, width);
                    if (accumulate) System.Numerics.Tensors.TensorPrimitives.Add(target, source, target);
                    else source.CopyTo(target);
                }
            }
        }
    }

    private void Pack(T* b, long bRowStride, long bColStride)
    {
        for (int panel = 0; panel < panels; panel++)
        {
            int first = panel * nr;
            int width = Math.Min(nr, columns - first);
            T* target = packed + (long)panel * rows * nr;
            if (bColStride == 1)
            {
                for (int p = 0; p < rows; p++, target += nr)
                {
                    new ReadOnlySpan<T>(b + p * bRowStride + first, width).CopyTo(new Span<T>(target, width));
                    new Span<T>(target + width, nr - width).Clear();
                }
                continue;
            }
            // Strided B (a transposed W): walk each source column once, writing a stride-nr column of the panel.
            new Span<T>(target, rows * nr).Clear();
            for (int j = 0; j < width; j++)
            {
                T* source = b + (first + j) * bColStride;
                for (int p = 0; p < rows; p++) target[p * nr + j] = source[p * bRowStride];
            }
        }
    }

    /// <summary>Frees the packed buffer.</summary>
    public void Dispose()
    {
        if (packed == null) return;
        NativeMemory.AlignedFree(packed);
        packed = null;
    }
}
