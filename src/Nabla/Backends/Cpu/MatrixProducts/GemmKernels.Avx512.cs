using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

internal static unsafe partial class GemmKernels
{
    /// <summary>Rows of the AVX-512 micro-tile.</summary>
    public const int Avx512Rows = 6;

    /// <summary>
    /// Iterations of k before the end at which the micro-kernels fetch their tile of C. Fetched when the kernel starts, the
    /// tile's lines had left the caches again by the time they were read (C is 4–16 MiB at 1024³–2048³, and a kernel call
    /// streams a 256 KiB panel of B past them). 128 iterations (~1,500 cycles) before the end the lines arrive in time
    /// and stay (bench <c>gemm</c>; figures in bench/README.md).
    /// </summary>
    private const long CPrefetchDistance = 128;

    /// <summary>
    /// AVX-512 micro-kernel: an r × (v·W) tile of C, r = TRows.Count ≤ 6, W = <c>Vector512&lt;T&gt;.Count</c>, v = TColumns.Count ≤ 4, held in
    /// 6v zmm accumulators: C[r, :] (+)= Σ_p A[r, p] · B[p, :]. The full tile is 6×64 for float (6×32 for double):
    /// 64 columns make a 64-wide product waste nothing, and 24 accumulators + 4 B vectors + a broadcast stay
    /// within the 32 zmm registers, so the k-loop is loads, broadcasts and FMAs only. Narrower v serve the
    /// last, partial panel of B without computing columns that do not exist.
    /// </summary>
    /// <remarks>
    /// Element (r, p) of the A panel is a[r·aRowStride + p·aColStride] and row p of the B panel starts at
    /// b + p·bRowStride: a packed panel is (1, 6) and v·W; a small row-major operand is read in place.
    /// <paramref name="fetchBytes"/> bytes from <paramref name="fetch"/> on (none when 0) are fetched toward L2 while the
    /// tile is computed, a few lines every 64 bytes of k: the driver passes each tile its share of the next packed
    /// B panel (see <c>Gemm.ComputeRows</c>).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Avx512<T, TColumns, TRows>(
        long kc, T* a, long aRowStride, long aColStride, T* b, long bRowStride, T* c, long ldc, bool accumulate,
        GemmEpilogue<T> epilogue, byte* fetch, long fetchBytes)
        where T : unmanaged
        where TColumns : struct, IColumnVectors
        where TRows : struct, IRowCount
    {
        int rows = TRows.Count; // likewise: the rows past it are neither read nor written
        int w = Vector512<T>.Count;
        int v = TColumns.Count; // a constant in each instantiation: the unused accumulators vanish

        // Rows 3.. are read through a second pointer, so two strides cover all rows (no register spill).
        long r1 = aRowStride, r2 = 2 * aRowStride;
        T* a3 = a + (3 * aRowStride);

        // Two runs of the k-loop: down to CPrefetchDistance iterations left (none when kc is shorter), then the fetch
        // of C's tile, then the rest (a test inside one loop costs a branch per iteration). Each run goes in steps of one
        // line of k (16 floats), and each step first fetches its lines of the next panel.
        long left = kc;
        long stop = Math.Min(kc, CPrefetchDistance);
        // Without lines to fetch the run is one step (no division per call).
        long step = kc;
        long linesPerStep = 0;
        byte* fetchEnd = fetch + fetchBytes;
        if (fetchBytes > 0)
        {
            step = 64 / sizeof(T);
            long steps = (kc + (64 / sizeof(T)) - 1) / (64 / sizeof(T));
            linesPerStep = (((fetchBytes + 63) / 64) + steps - 1) / steps;
        }

        Vector512<T> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<T> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<T> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<T> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<T> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<T> c50 = default, c51 = default, c52 = default, c53 = default;

        while (true)
        {
            while (left != stop)
            {
                if (fetch < fetchEnd)
                {
                    for (long line = 0; line < linesPerStep; line++)
                    {
                        Sse.Prefetch1(fetch);
                        fetch += 64;
                    }
                }

                for (long stepEnd = Math.Max(stop, left - step); left != stepEnd; left--)
                {
                    Vector512<T> b0 = Vector512.Load(b);
                    Vector512<T> b1 = v > 1 ? Vector512.Load(b + w) : default;
                    Vector512<T> b2 = v > 2 ? Vector512.Load(b + 2 * w) : default;
                    Vector512<T> b3 = v > 3 ? Vector512.Load(b + 3 * w) : default;

                    Vector512<T> ai = Vector512.Create(a[0]);
                    c00 = Avx512Lanes<T>.MulAdd(ai, b0, c00);
                    if (v > 1) c01 = Avx512Lanes<T>.MulAdd(ai, b1, c01);
                    if (v > 2) c02 = Avx512Lanes<T>.MulAdd(ai, b2, c02);
                    if (v > 3) c03 = Avx512Lanes<T>.MulAdd(ai, b3, c03);

                    if (rows > 1)
                    {
                        ai = Vector512.Create(a[r1]);
                        c10 = Avx512Lanes<T>.MulAdd(ai, b0, c10);
                        if (v > 1) c11 = Avx512Lanes<T>.MulAdd(ai, b1, c11);
                        if (v > 2) c12 = Avx512Lanes<T>.MulAdd(ai, b2, c12);
                        if (v > 3) c13 = Avx512Lanes<T>.MulAdd(ai, b3, c13);
                    }

                    if (rows > 2)
                    {
                        ai = Vector512.Create(a[r2]);
                        c20 = Avx512Lanes<T>.MulAdd(ai, b0, c20);
                        if (v > 1) c21 = Avx512Lanes<T>.MulAdd(ai, b1, c21);
                        if (v > 2) c22 = Avx512Lanes<T>.MulAdd(ai, b2, c22);
                        if (v > 3) c23 = Avx512Lanes<T>.MulAdd(ai, b3, c23);
                    }

                    if (rows > 3)
                    {
                        ai = Vector512.Create(a3[0]);
                        c30 = Avx512Lanes<T>.MulAdd(ai, b0, c30);
                        if (v > 1) c31 = Avx512Lanes<T>.MulAdd(ai, b1, c31);
                        if (v > 2) c32 = Avx512Lanes<T>.MulAdd(ai, b2, c32);
                        if (v > 3) c33 = Avx512Lanes<T>.MulAdd(ai, b3, c33);
                    }

                    if (rows > 4)
                    {
                        ai = Vector512.Create(a3[r1]);
                        c40 = Avx512Lanes<T>.MulAdd(ai, b0, c40);
                        if (v > 1) c41 = Avx512Lanes<T>.MulAdd(ai, b1, c41);
                        if (v > 2) c42 = Avx512Lanes<T>.MulAdd(ai, b2, c42);
                        if (v > 3) c43 = Avx512Lanes<T>.MulAdd(ai, b3, c43);
                    }

                    if (rows > 5)
                    {
                        ai = Vector512.Create(a3[r2]);
                        c50 = Avx512Lanes<T>.MulAdd(ai, b0, c50);
                        if (v > 1) c51 = Avx512Lanes<T>.MulAdd(ai, b1, c51);
                        if (v > 2) c52 = Avx512Lanes<T>.MulAdd(ai, b2, c52);
                        if (v > 3) c53 = Avx512Lanes<T>.MulAdd(ai, b3, c53);
                    }

                    a += aColStride;
                    a3 += aColStride;
                    b += bRowStride;
                }
            }

            if (left == 0)
            {
                break;
            }

            T* row = c;
            PrefetchRow<T, TColumns>(row, w);
            for (int r = 1; r < rows; r++)
            {
                row += ldc;
                PrefetchRow<T, TColumns>(row, w);
            }

            stop = 0;
        }

        StoreRow<Avx512Lanes<T>, Vector512<T>, T, TColumns>(c, c00, c01, c02, c03, accumulate);
        if (rows > 1) StoreRow<Avx512Lanes<T>, Vector512<T>, T, TColumns>(c + ldc, c10, c11, c12, c13, accumulate);
        if (rows > 2) StoreRow<Avx512Lanes<T>, Vector512<T>, T, TColumns>(c + (2 * ldc), c20, c21, c22, c23, accumulate);
        if (rows > 3) StoreRow<Avx512Lanes<T>, Vector512<T>, T, TColumns>(c + (3 * ldc), c30, c31, c32, c33, accumulate);
        if (rows > 4) StoreRow<Avx512Lanes<T>, Vector512<T>, T, TColumns>(c + (4 * ldc), c40, c41, c42, c43, accumulate);
        if (rows > 5) StoreRow<Avx512Lanes<T>, Vector512<T>, T, TColumns>(c + (5 * ldc), c50, c51, c52, c53, accumulate);
        if (!epilogue.IsNone)
        {
            FinishTile<Avx512Lanes<T>, Vector512<T>, T, TColumns>(c, ldc, rows, epilogue);
        }
    }

    /// <summary>Fetches the TColumns.Count vectors of one row of C into L1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRow<T, TColumns>(T* c, int w)
        where T : unmanaged
        where TColumns : struct, IColumnVectors
    {
        Sse.Prefetch0(c);
        if (TColumns.Count > 1) Sse.Prefetch0(c + w);
        if (TColumns.Count > 2) Sse.Prefetch0(c + 2 * w);
        if (TColumns.Count > 3) Sse.Prefetch0(c + 3 * w);
    }
}
