using System.Numerics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The scalar reference for <see cref="Gemm"/>: the definition C[i,j] (+)= Σ_p A[i,p]·B[p,j], summed in float64.
/// Slow on purpose; tests compare every kernel path with it.
/// </summary>
internal static unsafe class GemmReference
{
    /// <summary>
    /// Same operands and meaning as <see cref="Gemm.Sgemm(int, int, int, float*, long, long, float*, long, long, float*, long, bool)"/>.
    /// When <paramref name="absoluteSum"/> is given, it receives Σ_p |A[i,p]·B[p,j]| (row-major, m×n), the scale
    /// of the rounding error a float sum of these products can make.
    /// </summary>
    public static void Gemm<T>(
        int m, int n, int k, T* a, long aRowStride, long aColStride, T* b, long bRowStride, long bColStride,
        T* c, long ldc, bool accumulate, double[]? absoluteSum = null)
        where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                double magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double product = double.CreateTruncating(a[i * aRowStride + p * aColStride])
                        * double.CreateTruncating(b[p * bRowStride + j * bColStride]);
                    sum += product;
                    magnitude += Math.Abs(product);
                }

                T* target = c + i * ldc + j;
                *target = T.CreateTruncating(accumulate ? double.CreateTruncating(*target) + sum : sum);
                if (absoluteSum is not null)
                {
                    absoluteSum[(i * n) + j] = magnitude;
                }
            }
        }
    }
}
