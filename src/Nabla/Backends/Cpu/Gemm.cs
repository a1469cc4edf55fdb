using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Temporary stand-in for the BLIS-style GEMM of branch <c>gemm</c>, with the same API: plain
/// blocked loops (B packed row-major per k block, 4 rows × 2 vectors register tile), parallel
/// over row blocks. Correct for any strides; not tuned.
/// </summary>
internal static unsafe class Gemm
{
    private const int KBlock = 256;

    /// <summary>C[m×n] (row-major, row stride ldc) = A·B, or C += A·B when accumulate. A(i,p) at a[i*aRowStride + p*aColStride]; B(p,j) at b[p*bRowStride + j*bColStride].</summary>
    public static void Sgemm(int m, int n, int k, float* a, long aRowStride, long aColStride, float* b, long bRowStride, long bColStride, float* c, long ldc, bool accumulate)
        => Multiply(m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, ldc, accumulate);

    /// <summary>Float64 twin of <see cref="Sgemm"/>.</summary>
    public static void Dgemm(int m, int n, int k, double* a, long aRowStride, long aColStride, double* b, long bRowStride, long bColStride, double* c, long ldc, bool accumulate)
        => Multiply(m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, ldc, accumulate);

    private static void Multiply<T>(int m, int n, int k, T* a, long ars, long acs, T* b, long brs, long bcs, T* c, long ldc, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        if (m <= 0 || n <= 0) return;
        if (!accumulate)
            for (int i = 0; i < m; i++) new Span<T>(c + i * ldc, n).Clear();
        if (k <= 0) return;
        int kc = Math.Min(k, KBlock);
        T* packed = (T*)NativeMemory.AlignedAlloc((nuint)((long)kc * n * sizeof(T)), 64);
        try
        {
            for (int p0 = 0; p0 < k; p0 += KBlock)
            {
                int kb = Math.Min(KBlock, k - p0);
                for (int p = 0; p < kb; p++)
                {
                    T* src = b + (p0 + p) * brs;
                    T* dst = packed + (long)p * n;
                    for (int j = 0; j < n; j++) dst[j] = src[j * bcs];
                }
                int rowBlocks = (m + 3) / 4;
                T* aBlock = a + p0 * acs;
                T* pb = packed;
                WorkerPool.For(rowBlocks, Math.Max(1, 4096 / Math.Max(1, n)), (start, end) =>
                {
                    for (int blk = start; blk < end; blk++)
                    {
                        int i0 = blk * 4;
                        int rows = Math.Min(4, m - i0);
                        if (rows == 4) Tile4(n, kb, aBlock + i0 * ars, ars, acs, pb, c + i0 * ldc, ldc);
                        else for (int r = 0; r < rows; r++) Row(n, kb, aBlock + (i0 + r) * ars, acs, pb, c + (i0 + r) * ldc);
                    }
                });
            }
        }
        finally { NativeMemory.AlignedFree(packed); }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4<T>(int n, int kb, T* a, long ars, long acs, T* b, T* c, long ldc) where T : unmanaged, INumber<T>
    {
        int w = Vector512<T>.Count;
        int j = 0;
        for (; j + 2 * w <= n; j += 2 * w)
        {
            Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
            T* bp = b + j;
            for (int p = 0; p < kb; p++, bp += n)
            {
                var b0 = Vector512.Load(bp);
                var b1 = Vector512.Load(bp + w);
                long ap = p * acs;
                var a0 = Vector512.Create(a[ap]);
                var a1 = Vector512.Create(a[ap + ars]);
                var a2 = Vector512.Create(a[ap + 2 * ars]);
                var a3 = Vector512.Create(a[ap + 3 * ars]);
                c00 += a0 * b0; c01 += a0 * b1;
                c10 += a1 * b0; c11 += a1 * b1;
                c20 += a2 * b0; c21 += a2 * b1;
                c30 += a3 * b0; c31 += a3 * b1;
            }
            T* r = c + j;
            (Vector512.Load(r) + c00).Store(r); (Vector512.Load(r + w) + c01).Store(r + w); r += ldc;
            (Vector512.Load(r) + c10).Store(r); (Vector512.Load(r + w) + c11).Store(r + w); r += ldc;
            (Vector512.Load(r) + c20).Store(r); (Vector512.Load(r + w) + c21).Store(r + w); r += ldc;
            (Vector512.Load(r) + c30).Store(r); (Vector512.Load(r + w) + c31).Store(r + w);
        }
        if (j < n)
            for (int r = 0; r < 4; r++) RowTail(j, n, kb, a + r * ars, acs, b, c + r * ldc);
    }

    private static void Row<T>(int n, int kb, T* a, long acs, T* b, T* c) where T : unmanaged, INumber<T>
        => RowTail(0, n, kb, a, acs, b, c);

    private static void RowTail<T>(int j0, int n, int kb, T* a, long acs, T* b, T* c) where T : unmanaged, INumber<T>
    {
        int w = Vector512<T>.Count;
        for (int p = 0; p < kb; p++)
        {
            T av = a[p * acs];
            var va = Vector512.Create(av);
            T* bp = b + (long)p * n;
            int j = j0;
            for (; j + w <= n; j += w) (Vector512.Load(c + j) + va * Vector512.Load(bp + j)).Store(c + j);
            for (; j < n; j++) c[j] += av * bp[j];
        }
    }
}
