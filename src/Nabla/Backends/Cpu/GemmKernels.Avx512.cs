using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

internal static unsafe partial class GemmKernels
{
    /// <summary>Rows of the AVX-512 micro-tile.</summary>
    public const int Avx512Rows = 6;

    /// <summary>
    /// AVX-512 micro-kernel: a 6 × (4·W) tile of C, W = <c>Vector512&lt;T&gt;.Count</c> (6×64 for float, 6×32 for
    /// double), held in 24 zmm accumulators. C[r, :] (+)= Σ_p a[p·6 + r] · b[p·4W .. p·4W + 4W) over the packed
    /// panels. 64 columns make a 64-wide product waste nothing; 24 accumulators + 4 B vectors + a broadcast stay
    /// within the 32 zmm registers, so the k-loop is loads, broadcasts and FMAs only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Avx512<T>(long kc, T* a, T* b, T* c, long ldc, bool accumulate)
        where T : unmanaged
    {
        int w = Vector512<T>.Count;

        // The tile's 6 rows × 256 bytes are written at the end; fetching them now hides the misses.
        for (int r = 0; r < Avx512Rows; r++)
        {
            byte* row = (byte*)(c + r * ldc);
            Sse.Prefetch0(row);
            Sse.Prefetch0(row + 64);
            Sse.Prefetch0(row + 128);
            Sse.Prefetch0(row + 192);
        }

        Vector512<T> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<T> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<T> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<T> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<T> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<T> c50 = default, c51 = default, c52 = default, c53 = default;

        for (long p = 0; p < kc; p++)
        {
            Vector512<T> b0 = Vector512.Load(b);
            Vector512<T> b1 = Vector512.Load(b + w);
            Vector512<T> b2 = Vector512.Load(b + 2 * w);
            Vector512<T> b3 = Vector512.Load(b + 3 * w);

            Vector512<T> ai = Vector512.Create(a[0]);
            c00 = MulAdd(ai, b0, c00); c01 = MulAdd(ai, b1, c01); c02 = MulAdd(ai, b2, c02); c03 = MulAdd(ai, b3, c03);
            ai = Vector512.Create(a[1]);
            c10 = MulAdd(ai, b0, c10); c11 = MulAdd(ai, b1, c11); c12 = MulAdd(ai, b2, c12); c13 = MulAdd(ai, b3, c13);
            ai = Vector512.Create(a[2]);
            c20 = MulAdd(ai, b0, c20); c21 = MulAdd(ai, b1, c21); c22 = MulAdd(ai, b2, c22); c23 = MulAdd(ai, b3, c23);
            ai = Vector512.Create(a[3]);
            c30 = MulAdd(ai, b0, c30); c31 = MulAdd(ai, b1, c31); c32 = MulAdd(ai, b2, c32); c33 = MulAdd(ai, b3, c33);
            ai = Vector512.Create(a[4]);
            c40 = MulAdd(ai, b0, c40); c41 = MulAdd(ai, b1, c41); c42 = MulAdd(ai, b2, c42); c43 = MulAdd(ai, b3, c43);
            ai = Vector512.Create(a[5]);
            c50 = MulAdd(ai, b0, c50); c51 = MulAdd(ai, b1, c51); c52 = MulAdd(ai, b2, c52); c53 = MulAdd(ai, b3, c53);

            a += Avx512Rows;
            b += 4 * w;
        }

        StoreRow(c, w, c00, c01, c02, c03, accumulate);
        StoreRow(c + ldc, w, c10, c11, c12, c13, accumulate);
        StoreRow(c + 2 * ldc, w, c20, c21, c22, c23, accumulate);
        StoreRow(c + 3 * ldc, w, c30, c31, c32, c33, accumulate);
        StoreRow(c + 4 * ldc, w, c40, c41, c42, c43, accumulate);
        StoreRow(c + 5 * ldc, w, c50, c51, c52, c53, accumulate);
    }

    /// <summary>x·y + acc in one rounding (vfmadd231ps / vfmadd231pd); the type test folds away per T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> MulAdd<T>(Vector512<T> x, Vector512<T> y, Vector512<T> acc)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return Avx512F.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>();
        }

        return Avx512F.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
    }

    /// <summary>Writes (or adds) four vectors to one row of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T>(
        T* c, int w, Vector512<T> v0, Vector512<T> v1, Vector512<T> v2, Vector512<T> v3, bool accumulate)
        where T : unmanaged
    {
        if (accumulate)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + w);
            v2 += Vector512.Load(c + 2 * w);
            v3 += Vector512.Load(c + 3 * w);
        }

        v0.Store(c);
        v1.Store(c + w);
        v2.Store(c + 2 * w);
        v3.Store(c + 3 * w);
    }
}
