using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

internal static unsafe partial class GemmKernels
{
    /// <summary>Rows of the AVX2 micro-tile.</summary>
    public const int Avx2Rows = 6;

    /// <summary>Rows of the portable micro-tile: 4 rows × 2 vectors in 8 accumulators fit the 16 registers of SSE/NEON machines.</summary>
    public const int PortableRows = 4;

    /// <summary>
    /// The micro-kernel of the AVX2 and portable paths: an r × (v·W) tile of C, r = TRows.Count ≤ 6, W = <c>TLanes.Count</c>,
    /// v = TColumns.Count ≤ 2, in rv vector accumulators. On AVX2 + FMA (<see cref="Avx2Lanes{T}"/>) the full tile is 6×16
    /// for float (6×8 for double): with 2 B vectors and a broadcast that is 15 of the 16 ymm registers. The portable path
    /// (<see cref="PortableLanes{T}"/>) uses 4 rows of <c>Vector&lt;T&gt;</c>. Operands as in <see cref="Avx512{T, TColumns, TRows}"/>;
    /// the bytes to fetch are ignored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Narrow<TLanes, TVector, T, TColumns, TRows>(
        long kc, T* a, long aRowStride, long aColStride, T* b, long bRowStride, T* c, long ldc, bool accumulate,
        GemmEpilogue<T> epilogue, byte* fetch, long fetchBytes)
        where TLanes : struct, ILanes<TVector, T>
        where TVector : struct
        where T : unmanaged
        where TColumns : struct, IColumnVectors
        where TRows : struct, IRowCount
    {
        int rows = TRows.Count; // likewise: the rows past it are neither read nor written
        int w = TLanes.Count;
        int v = TColumns.Count; // a constant in each instantiation: the unused accumulators vanish

        // Rows 3.. are read through a second pointer, so two strides cover all rows (no register spill).
        long r1 = aRowStride, r2 = 2 * aRowStride;
        T* a3 = a + (3 * aRowStride);

        // The tile of C is written at the end; fetching its lines now hides the misses.
        if (TLanes.PrefetchesC)
        {
            for (int r = 0; r < rows; r++)
            {
                byte* row = (byte*)(c + r * ldc);
                for (int line = 0; line < v * w * sizeof(T); line += 64)
                {
                    Sse.Prefetch0(row + line);
                }
            }
        }

        TVector c00 = default, c01 = default;
        TVector c10 = default, c11 = default;
        TVector c20 = default, c21 = default;
        TVector c30 = default, c31 = default;
        TVector c40 = default, c41 = default;
        TVector c50 = default, c51 = default;

        for (long p = 0; p < kc; p++)
        {
            TVector b0 = TLanes.Load(b);
            TVector b1 = v > 1 ? TLanes.Load(b + w) : default;

            TVector ai = TLanes.Broadcast(a[0]);
            c00 = TLanes.MulAdd(ai, b0, c00);
            if (v > 1) c01 = TLanes.MulAdd(ai, b1, c01);

            if (rows > 1)
            {
                ai = TLanes.Broadcast(a[r1]);
                c10 = TLanes.MulAdd(ai, b0, c10);
                if (v > 1) c11 = TLanes.MulAdd(ai, b1, c11);
            }

            if (rows > 2)
            {
                ai = TLanes.Broadcast(a[r2]);
                c20 = TLanes.MulAdd(ai, b0, c20);
                if (v > 1) c21 = TLanes.MulAdd(ai, b1, c21);
            }

            if (rows > 3)
            {
                ai = TLanes.Broadcast(a3[0]);
                c30 = TLanes.MulAdd(ai, b0, c30);
                if (v > 1) c31 = TLanes.MulAdd(ai, b1, c31);
            }

            if (rows > 4)
            {
                ai = TLanes.Broadcast(a3[r1]);
                c40 = TLanes.MulAdd(ai, b0, c40);
                if (v > 1) c41 = TLanes.MulAdd(ai, b1, c41);
            }

            if (rows > 5)
            {
                ai = TLanes.Broadcast(a3[r2]);
                c50 = TLanes.MulAdd(ai, b0, c50);
                if (v > 1) c51 = TLanes.MulAdd(ai, b1, c51);
            }

            a += aColStride;
            a3 += aColStride;
            b += bRowStride;
        }

        StoreRow<TLanes, TVector, T, TColumns>(c, c00, c01, default, default, accumulate);
        if (rows > 1) StoreRow<TLanes, TVector, T, TColumns>(c + ldc, c10, c11, default, default, accumulate);
        if (rows > 2) StoreRow<TLanes, TVector, T, TColumns>(c + (2 * ldc), c20, c21, default, default, accumulate);
        if (rows > 3) StoreRow<TLanes, TVector, T, TColumns>(c + (3 * ldc), c30, c31, default, default, accumulate);
        if (rows > 4) StoreRow<TLanes, TVector, T, TColumns>(c + (4 * ldc), c40, c41, default, default, accumulate);
        if (rows > 5) StoreRow<TLanes, TVector, T, TColumns>(c + (5 * ldc), c50, c51, default, default, accumulate);
        if (!epilogue.IsNone)
        {
            FinishTile<TLanes, TVector, T, TColumns>(c, ldc, rows, epilogue);
        }
    }
}
