using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

internal static unsafe partial class GemmKernels
{
    /// <summary>Rows of the AVX2 micro-tile.</summary>
    public const int Avx2Rows = 6;

    /// <summary>
    /// AVX2 + FMA micro-kernel: an r × (v·W) tile of C, r = TRows.Count ≤ 6, W = <c>Vector256&lt;T&gt;.Count</c>, v = TColumns.Count ≤ 2
    /// (6×16 for float, 6×8 for double), in 6v ymm accumulators; with 2 B vectors and a broadcast that is 15 of
    /// the 16 ymm registers. Operands as in <see cref="Avx512{T, TColumns, TRows}"/>;
    /// the bytes to fetch are ignored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Avx2<T, TColumns, TRows>(
        long kc, T* a, long aRowStride, long aColStride, T* b, long bRowStride, T* c, long ldc, bool accumulate, byte* fetch,
        long fetchBytes)
        where T : unmanaged
        where TColumns : struct, IColumnVectors
        where TRows : struct, IRowCount
    {
        int rows = TRows.Count; // likewise: the rows past it are neither read nor written
        int w = Vector256<T>.Count;
        int v = TColumns.Count; // a constant in each instantiation: the unused accumulators vanish

        // Rows 3.. are read through a second pointer, so two strides cover all rows (no register spill).
        long r1 = aRowStride, r2 = 2 * aRowStride;
        T* a3 = a + (3 * aRowStride);

        // The tile of C is written at the end; fetching its lines now hides the misses.
        for (int r = 0; r < rows; r++)
        {
            byte* row = (byte*)(c + r * ldc);
            for (int line = 0; line < v * w * sizeof(T); line += 64)
            {
                Sse.Prefetch0(row + line);
            }
        }

        Vector256<T> c00 = default, c01 = default;
        Vector256<T> c10 = default, c11 = default;
        Vector256<T> c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default;
        Vector256<T> c40 = default, c41 = default;
        Vector256<T> c50 = default, c51 = default;

        for (long p = 0; p < kc; p++)
        {
            Vector256<T> b0 = Vector256.Load(b);
            Vector256<T> b1 = v > 1 ? Vector256.Load(b + w) : default;

            Vector256<T> ai = Vector256.Create(a[0]);
            c00 = MulAdd(ai, b0, c00);
            if (v > 1) c01 = MulAdd(ai, b1, c01);

            if (rows > 1)
            {
                ai = Vector256.Create(a[r1]);
                c10 = MulAdd(ai, b0, c10);
                if (v > 1) c11 = MulAdd(ai, b1, c11);
            }

            if (rows > 2)
            {
                ai = Vector256.Create(a[r2]);
                c20 = MulAdd(ai, b0, c20);
                if (v > 1) c21 = MulAdd(ai, b1, c21);
            }

            if (rows > 3)
            {
                ai = Vector256.Create(a3[0]);
                c30 = MulAdd(ai, b0, c30);
                if (v > 1) c31 = MulAdd(ai, b1, c31);
            }

            if (rows > 4)
            {
                ai = Vector256.Create(a3[r1]);
                c40 = MulAdd(ai, b0, c40);
                if (v > 1) c41 = MulAdd(ai, b1, c41);
            }

            if (rows > 5)
            {
                ai = Vector256.Create(a3[r2]);
                c50 = MulAdd(ai, b0, c50);
                if (v > 1) c51 = MulAdd(ai, b1, c51);
            }

            a += aColStride;
            a3 += aColStride;
            b += bRowStride;
        }

        StoreRow<T, TColumns>(c, w, c00, c01, accumulate);
        if (rows > 1) StoreRow<T, TColumns>(c + ldc, w, c10, c11, accumulate);
        if (rows > 2) StoreRow<T, TColumns>(c + (2 * ldc), w, c20, c21, accumulate);
        if (rows > 3) StoreRow<T, TColumns>(c + (3 * ldc), w, c30, c31, accumulate);
        if (rows > 4) StoreRow<T, TColumns>(c + (4 * ldc), w, c40, c41, accumulate);
        if (rows > 5) StoreRow<T, TColumns>(c + (5 * ldc), w, c50, c51, accumulate);
    }

    /// <summary>x·y + acc in one rounding (FMA3); the type test folds away per T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> MulAdd<T>(Vector256<T> x, Vector256<T> y, Vector256<T> acc)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return Fma.MultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>();
        }

        return Fma.MultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
    }

    /// <summary>Writes (or adds) the first TColumns.Count vectors to one row of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T, TColumns>(T* c, int w, Vector256<T> v0, Vector256<T> v1, bool accumulate)
        where T : unmanaged
        where TColumns : struct, IColumnVectors
    {
        Vector256<T> first = accumulate ? v0 + Vector256.Load(c) : v0;
        first.Store(c);
        if (TColumns.Count > 1)
        {
            Vector256<T> value = accumulate ? v1 + Vector256.Load(c + w) : v1;
            value.Store(c + w);
        }
    }
}
