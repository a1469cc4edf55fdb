using System.Numerics;
using System.Runtime.CompilerServices;

namespace Nabla.Backends.Cpu;

internal static unsafe partial class GemmKernels
{
    /// <summary>Rows of the portable micro-tile.</summary>
    public const int PortableRows = 4;

    /// <summary>
    /// Portable micro-kernel for any hardware: an r × (v·W) tile of C, r = TRows.Count ≤ 4, W = <c>Vector&lt;T&gt;.Count</c>, v = TColumns.Count
    /// ≤ 2, in 4v vector accumulators (fits the 16 registers of SSE/NEON machines). Uses multiply then add, since
    /// a fused multiply-add is emulated, and very slow, where the hardware lacks it. Operands as in
    /// <see cref="Avx512{T, TColumns, TRows}"/>; the bytes to fetch are ignored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Portable<T, TColumns, TRows>(
        long kc, T* a, long aRowStride, long aColStride, T* b, long bRowStride, T* c, long ldc, bool accumulate, byte* fetch,
        long fetchBytes)
        where T : unmanaged, INumber<T>
        where TColumns : struct, IColumnVectors
        where TRows : struct, IRowCount
    {
        int rows = TRows.Count; // likewise: the rows past it are neither read nor written
        int w = Vector<T>.Count;
        int v = TColumns.Count; // a constant in each instantiation: the unused accumulators vanish

        // Rows 3.. are read through a second pointer, so two strides cover all rows (no register spill).
        long r1 = aRowStride, r2 = 2 * aRowStride;
        T* a3 = a + (3 * aRowStride);

        Vector<T> c00 = default, c01 = default;
        Vector<T> c10 = default, c11 = default;
        Vector<T> c20 = default, c21 = default;
        Vector<T> c30 = default, c31 = default;

        for (long p = 0; p < kc; p++)
        {
            Vector<T> b0 = Vector.Load(b);
            Vector<T> b1 = v > 1 ? Vector.Load(b + w) : default;

            Vector<T> ai = new Vector<T>(a[0]);
            c00 += ai * b0;
            if (v > 1) c01 += ai * b1;

            if (rows > 1)
            {
                ai = new Vector<T>(a[r1]);
                c10 += ai * b0;
                if (v > 1) c11 += ai * b1;
            }

            if (rows > 2)
            {
                ai = new Vector<T>(a[r2]);
                c20 += ai * b0;
                if (v > 1) c21 += ai * b1;
            }

            if (rows > 3)
            {
                ai = new Vector<T>(a3[0]);
                c30 += ai * b0;
                if (v > 1) c31 += ai * b1;
            }

            a += aColStride;
            a3 += aColStride;
            b += bRowStride;
        }

        StoreRow<T, TColumns>(c, w, c00, c01, accumulate);
        if (rows > 1) StoreRow<T, TColumns>(c + ldc, w, c10, c11, accumulate);
        if (rows > 2) StoreRow<T, TColumns>(c + (2 * ldc), w, c20, c21, accumulate);
        if (rows > 3) StoreRow<T, TColumns>(c + (3 * ldc), w, c30, c31, accumulate);
    }

    /// <summary>Writes (or adds) the first TColumns.Count vectors to one row of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T, TColumns>(T* c, int w, Vector<T> v0, Vector<T> v1, bool accumulate)
        where T : unmanaged, INumber<T>
        where TColumns : struct, IColumnVectors
    {
        Vector<T> first = accumulate ? v0 + Vector.Load(c) : v0;
        first.Store(c);
        if (TColumns.Count > 1)
        {
            Vector<T> value = accumulate ? v1 + Vector.Load(c + w) : v1;
            value.Store(c + w);
        }
    }
}
