using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

internal static unsafe partial class GemmKernels
{
    /// <summary>Rows of the AVX2 micro-tile.</summary>
    public const int Avx2Rows = 6;

    /// <summary>
    /// AVX2 + FMA micro-kernel: a 6 × (2·W) tile of C, W = <c>Vector256&lt;T&gt;.Count</c> (6×16 for float, 6×8 for
    /// double), in 12 ymm accumulators; with 2 B vectors and a broadcast that is 15 of the 16 ymm registers.
    /// C[r, :] (+)= Σ_p a[p·6 + r] · b[p·2W .. p·2W + 2W).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Avx2<T>(long kc, T* a, T* b, T* c, long ldc, bool accumulate)
        where T : unmanaged
    {
        int w = Vector256<T>.Count;

        // Each tile row is 64 bytes: one cache line (two when C is not 64-byte aligned).
        for (int r = 0; r < Avx2Rows; r++)
        {
            byte* row = (byte*)(c + r * ldc);
            Sse.Prefetch0(row);
            Sse.Prefetch0(row + 63);
        }

        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;

        for (long p = 0; p < kc; p++)
        {
            Vector256<T> b0 = Vector256.Load(b);
            Vector256<T> b1 = Vector256.Load(b + w);

            Vector256<T> ai = Vector256.Create(a[0]);
            c00 = MulAdd(ai, b0, c00); c01 = MulAdd(ai, b1, c01);
            ai = Vector256.Create(a[1]);
            c10 = MulAdd(ai, b0, c10); c11 = MulAdd(ai, b1, c11);
            ai = Vector256.Create(a[2]);
            c20 = MulAdd(ai, b0, c20); c21 = MulAdd(ai, b1, c21);
            ai = Vector256.Create(a[3]);
            c30 = MulAdd(ai, b0, c30); c31 = MulAdd(ai, b1, c31);
            ai = Vector256.Create(a[4]);
            c40 = MulAdd(ai, b0, c40); c41 = MulAdd(ai, b1, c41);
            ai = Vector256.Create(a[5]);
            c50 = MulAdd(ai, b0, c50); c51 = MulAdd(ai, b1, c51);

            a += Avx2Rows;
            b += 2 * w;
        }

        StoreRow(c, w, c00, c01, accumulate);
        StoreRow(c + ldc, w, c10, c11, accumulate);
        StoreRow(c + 2 * ldc, w, c20, c21, accumulate);
        StoreRow(c + 3 * ldc, w, c30, c31, accumulate);
        StoreRow(c + 4 * ldc, w, c40, c41, accumulate);
        StoreRow(c + 5 * ldc, w, c50, c51, accumulate);
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

    /// <summary>Writes (or adds) two vectors to one row of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T>(T* c, int w, Vector256<T> v0, Vector256<T> v1, bool accumulate)
        where T : unmanaged
    {
        if (accumulate)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c + w);
        }

        v0.Store(c);
        v1.Store(c + w);
    }
}
