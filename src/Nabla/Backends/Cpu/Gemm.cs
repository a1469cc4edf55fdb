using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu;

/// <summary>Stand-in GEMM until the BLIS-style kernels land: row-of-A times B with vectorised row updates.</summary>
internal static unsafe class Gemm
{
    public static void Sgemm(int m, int n, int k, float* a, long aRowStride, long aColStride, float* b, long bRowStride, long bColStride, float* c, long ldc, bool accumulate)
        => Run(m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, ldc, accumulate);

    public static void Dgemm(int m, int n, int k, double* a, long aRowStride, long aColStride, double* b, long bRowStride, long bColStride, double* c, long ldc, bool accumulate)
        => Run(m, n, k, a, aRowStride, aColStride, b, bRowStride, bColStride, c, ldc, accumulate);

    static void Run<T>(int m, int n, int k, T* a, long aRowStride, long aColStride, T* b, long bRowStride, long bColStride, T* c, long ldc, bool accumulate)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        T[] packedB = new T[(long)k * n];
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++)
                packedB[(long)p * n + j] = b[p * bRowStride + j * bColStride];
        nint aPtr = (nint)a, cPtr = (nint)c;
        WorkerPool.For(m, Math.Max(1, 16384 / Math.Max(1, n * Math.Max(k, 1) / 64)), (begin, end) =>
        {
            T* aa = (T*)aPtr, cc = (T*)cPtr;
            for (int i = begin; i < end; i++)
            {
                var row = new Span<T>(cc + i * ldc, n);
                if (!accumulate) row.Clear();
                for (int p = 0; p < k; p++)
                {
                    T scale = aa[i * aRowStride + p * aColStride];
                    if (scale == T.Zero) continue;
                    TensorPrimitives.MultiplyAdd(packedB.AsSpan(p * n, n), scale, row, row);
                }
            }
        });
    }
}
