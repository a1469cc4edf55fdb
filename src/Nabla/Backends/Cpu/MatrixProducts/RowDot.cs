using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// C[i, j] += Σ_p A[i, p] · B[j, p] for few rows and long rows: both operands are read along p,
/// vectorised, in 4 × 4 blocks of dot products (16 accumulators, 8 loads per 16 multiply-adds).
/// This is the convolution weight gradient (im2col rows against output-gradient rows) when the
/// output channels are too few for the GEMM's wide tile (LeNet: 6 or 16 columns of a 64-wide tile).
/// </summary>
internal static unsafe class RowDot
{
    /// <summary>C[i·ldc + j] += Σ_{p &lt; length} a[i·lda + p] · b[j·ldb + p] for i &lt; m, j &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Accumulate<T>(int m, int n, int length, T* a, long lda, T* b, long ldb, T* c, long ldc) where T : unmanaged, INumber<T>
    {
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            int j = 0;
            for (; j + 4 <= n; j += 4) Block4x4(length, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc);
            for (; j < n; j++)
                for (int r = 0; r < 4; r++) c[(i + r) * ldc + j] += Dot(length, a + (i + r) * lda, b + j * ldb);
        }
        for (; i < m; i++)
            for (int j = 0; j < n; j++) c[i * ldc + j] += Dot(length, a + i * lda, b + j * ldb);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x4<T>(int length, T* a, long lda, T* b, long ldb, T* c, long ldc) where T : unmanaged, INumber<T>
    {
        Vector256<T> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector256<T> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector256<T> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector256<T> s30 = default, s31 = default, s32 = default, s33 = default;
        int width = Vector256<T>.Count, p = 0;
        for (; p + width <= length; p += width)
        {
            var b0 = Vector256.Load(b + p);
            var b1 = Vector256.Load(b + ldb + p);
            var b2 = Vector256.Load(b + 2 * ldb + p);
            var b3 = Vector256.Load(b + 3 * ldb + p);
            var a0 = Vector256.Load(a + p);
            s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
            var a1 = Vector256.Load(a + lda + p);
            s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
            var a2 = Vector256.Load(a + 2 * lda + p);
            s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
            var a3 = Vector256.Load(a + 3 * lda + p);
            s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
        }
        c[0] += Vector256.Sum(s00); c[1] += Vector256.Sum(s01); c[2] += Vector256.Sum(s02); c[3] += Vector256.Sum(s03);
        c[ldc] += Vector256.Sum(s10); c[ldc + 1] += Vector256.Sum(s11); c[ldc + 2] += Vector256.Sum(s12); c[ldc + 3] += Vector256.Sum(s13);
        c[2 * ldc] += Vector256.Sum(s20); c[2 * ldc + 1] += Vector256.Sum(s21); c[2 * ldc + 2] += Vector256.Sum(s22); c[2 * ldc + 3] += Vector256.Sum(s23);
        c[3 * ldc] += Vector256.Sum(s30); c[3 * ldc + 1] += Vector256.Sum(s31); c[3 * ldc + 2] += Vector256.Sum(s32); c[3 * ldc + 3] += Vector256.Sum(s33);
        for (; p < length; p++)
            for (int r = 0; r < 4; r++)
                for (int q = 0; q < 4; q++) c[r * ldc + q] += a[r * lda + p] * b[q * ldb + p];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Dot<T>(int length, T* a, T* b) where T : unmanaged, INumber<T>
    {
        Vector256<T> sum = default;
        int width = Vector256<T>.Count, p = 0;
        for (; p + width <= length; p += width) sum += Vector256.Load(a + p) * Vector256.Load(b + p);
        T total = Vector256.Sum(sum);
        for (; p < length; p++) total += a[p] * b[p];
        return total;
    }
}
