using System.Numerics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Dense linear-algebra kernels on contiguous row-major matrices: LU factorisation with partial
/// pivoting and what follows from it (solve, determinant, inverse) in <c>LinearAlgebra.Lu.cs</c>,
/// and the symmetric eigen-decomposition in <c>LinearAlgebra.Eigen.cs</c>.
/// </summary>
/// <remarks>
/// Every kernel is generic over <see cref="float"/> and <see cref="double"/> (one implementation,
/// computed in the element type <c>T</c>) and batched: <c>batch</c> matrices of the same size lie back
/// to back in one span, matrix <c>b</c> of size n×n at offset <c>b·n·n</c>. The kernels trust their
/// inputs (lengths are checked by <see cref="System.Diagnostics.Debug.Assert(bool)"/> only); the tensor
/// ops validate shapes at the public boundary. The matrices in the course are small (Hessians of
/// 2–100 variables), so the kernels favour accuracy and plain code over blocking and threads.
/// </remarks>
internal static partial class LinearAlgebra
{
    /// <summary>Exchanges rows <paramref name="i"/> and <paramref name="j"/> of a row-major matrix with <paramref name="columns"/> columns.</summary>
    private static void SwapRows<T>(Span<T> matrix, int columns, int i, int j)
        where T : unmanaged
    {
        Span<T> rowI = matrix.Slice(i * columns, columns);
        Span<T> rowJ = matrix.Slice(j * columns, columns);
        for (int c = 0; c < columns; c++)
        {
            (rowI[c], rowJ[c]) = (rowJ[c], rowI[c]);
        }
    }

    /// <summary>Writes the n×n identity matrix into <paramref name="matrix"/>.</summary>
    private static void SetIdentity<T>(Span<T> matrix, int n)
        where T : unmanaged, INumberBase<T>
    {
        matrix.Clear();
        for (int i = 0; i < n; i++)
        {
            matrix[i * n + i] = T.One;
        }
    }
}
