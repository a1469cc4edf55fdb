using System.Buffers;
using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu;

internal static partial class LinearAlgebra
{
    /// <summary>
    /// LU factorisation with partial pivoting, in place: P·A = L·U for each of <paramref name="batch"/>
    /// n×n matrices stored back to back in <paramref name="a"/> (the layout of LAPACK's <c>getrf</c> and
    /// <c>torch.linalg.lu_factor</c>).
    /// </summary>
    /// <param name="a">
    /// batch·n·n values; on return each matrix holds U on and above the diagonal and the multipliers
    /// of L (whose unit diagonal is not stored) below it.
    /// </param>
    /// <param name="batch">Number of matrices.</param>
    /// <param name="n">Size of each matrix.</param>
    /// <param name="pivots">
    /// batch·n row indices, 0-based within each matrix: at step k, row k was exchanged with row
    /// <c>pivots[k]</c> (≥ k). <c>torch.linalg.lu_factor</c> reports the same indices plus one.
    /// </param>
    /// <param name="singular">
    /// batch flags: true where some pivot was exactly zero. The factorisation then still completes
    /// (that column has nothing to eliminate), as in LAPACK, so the determinant comes out as 0.
    /// </param>
    public static void LuFactor<T>(Span<T> a, int batch, int n, Span<int> pivots, Span<bool> singular)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Debug.Assert(batch >= 0 && n >= 0);
        Debug.Assert(a.Length == batch * n * n);
        Debug.Assert(pivots.Length == batch * n);
        Debug.Assert(singular.Length == batch);

        for (int b = 0; b < batch; b++)
        {
            singular[b] = !LuFactorOne(a.Slice(b * n * n, n * n), n, pivots.Slice(b * n, n));
        }
    }

    /// <summary>
    /// Solves A·X = B for each matrix of the batch, given A's LU factors and pivots from
    /// <see cref="LuFactor{T}"/>.
    /// </summary>
    /// <param name="lu">batch·n·n values: the factors written by <see cref="LuFactor{T}"/>.</param>
    /// <param name="pivots">batch·n pivots written by <see cref="LuFactor{T}"/>.</param>
    /// <param name="b">batch·n·nrhs values: each B is n×nrhs row-major; overwritten by X.</param>
    /// <param name="batch">Number of systems.</param>
    /// <param name="n">Size of each matrix A.</param>
    /// <param name="nrhs">Number of right-hand sides (columns of B).</param>
    /// <remarks>A singular factorisation divides by a zero pivot and yields infinities or NaN; callers check <c>singular</c> first.</remarks>
    public static void LuSolve<T>(ReadOnlySpan<T> lu, ReadOnlySpan<int> pivots, Span<T> b, int batch, int n, int nrhs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Debug.Assert(batch >= 0 && n >= 0 && nrhs >= 0);
        Debug.Assert(lu.Length == batch * n * n);
        Debug.Assert(pivots.Length == batch * n);
        Debug.Assert(b.Length == batch * n * nrhs);

        for (int i = 0; i < batch; i++)
        {
            LuSolveOne(lu.Slice(i * n * n, n * n), pivots.Slice(i * n, n), b.Slice(i * n * nrhs, n * nrhs), n, nrhs);
        }
    }

    /// <summary>
    /// Solves Aᵀ·X = B for each matrix of the batch from the same LU factors and pivots as
    /// <see cref="LuSolve{T}"/>, without factoring Aᵀ: the backward of <c>solve</c> needs Aᵀ·B̄ = G.
    /// </summary>
    /// <param name="lu">batch·n·n values: the factors of A written by <see cref="LuFactor{T}"/>.</param>
    /// <param name="pivots">batch·n pivots written by <see cref="LuFactor{T}"/>.</param>
    /// <param name="b">batch·n·nrhs values: each B is n×nrhs row-major; overwritten by X.</param>
    /// <param name="batch">Number of systems.</param>
    /// <param name="n">Size of each matrix A.</param>
    /// <param name="nrhs">Number of right-hand sides (columns of B).</param>
    public static void LuSolveTransposed<T>(ReadOnlySpan<T> lu, ReadOnlySpan<int> pivots, Span<T> b, int batch, int n, int nrhs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Debug.Assert(batch >= 0 && n >= 0 && nrhs >= 0);
        Debug.Assert(lu.Length == batch * n * n);
        Debug.Assert(pivots.Length == batch * n);
        Debug.Assert(b.Length == batch * n * nrhs);

        for (int i = 0; i < batch; i++)
        {
            LuSolveTransposedOne(lu.Slice(i * n * n, n * n), pivots.Slice(i * n, n), b.Slice(i * n * nrhs, n * nrhs), n, nrhs);
        }
    }

    /// <summary>
    /// Determinants from LU factors: det A = (−1)^s · ∏ U_kk, where s counts the row exchanges
    /// (<c>pivots[k] ≠ k</c>).
    /// </summary>
    /// <param name="lu">batch·n·n values: the factors written by <see cref="LuFactor{T}"/>.</param>
    /// <param name="pivots">batch·n pivots written by <see cref="LuFactor{T}"/>.</param>
    /// <param name="det">batch determinants. A singular matrix (a zero pivot) gets exactly +0, never NaN or −0; a 0×0 matrix gets 1.</param>
    /// <param name="batch">Number of matrices.</param>
    /// <param name="n">Size of each matrix.</param>
    public static void Determinant<T>(ReadOnlySpan<T> lu, ReadOnlySpan<int> pivots, Span<T> det, int batch, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Debug.Assert(batch >= 0 && n >= 0);
        Debug.Assert(lu.Length == batch * n * n);
        Debug.Assert(pivots.Length == batch * n);
        Debug.Assert(det.Length == batch);

        for (int b = 0; b < batch; b++)
        {
            det[b] = DeterminantOne(lu.Slice(b * n * n, n * n), pivots.Slice(b * n, n), n);
        }
    }

    /// <summary>
    /// Inverse of each n×n matrix: factors a copy of A (P·A = L·U) and solves A·X = I.
    /// </summary>
    /// <param name="a">batch·n·n values, left unchanged.</param>
    /// <param name="inverse">batch·n·n values: A⁻¹ for each matrix; filled with NaN where the matrix is singular.</param>
    /// <param name="batch">Number of matrices.</param>
    /// <param name="n">Size of each matrix.</param>
    /// <param name="singular">batch flags: true where the matrix has an exactly zero pivot and so no inverse.</param>
    public static void Inverse<T>(ReadOnlySpan<T> a, Span<T> inverse, int batch, int n, Span<bool> singular)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Debug.Assert(batch >= 0 && n >= 0);
        Debug.Assert(a.Length == batch * n * n);
        Debug.Assert(inverse.Length == batch * n * n);
        Debug.Assert(singular.Length == batch);

        // One scratch LU and pivot buffer for the whole batch, reused matrix after matrix.
        T[] luBuffer = ArrayPool<T>.Shared.Rent(n * n);
        int[] pivotBuffer = ArrayPool<int>.Shared.Rent(n);
        try
        {
            Span<T> lu = luBuffer.AsSpan(0, n * n);
            Span<int> pivots = pivotBuffer.AsSpan(0, n);
            for (int b = 0; b < batch; b++)
            {
                Span<T> x = inverse.Slice(b * n * n, n * n);
                a.Slice(b * n * n, n * n).CopyTo(lu);
                bool regular = LuFactorOne(lu, n, pivots);
                singular[b] = !regular;
                if (!regular)
                {
                    // No inverse exists; NaN makes accidental use visible instead of returning infinities.
                    x.Fill(T.NaN);
                    continue;
                }

                SetIdentity(x, n);
                LuSolveOne(lu, pivots, x, n, n);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(luBuffer);
            ArrayPool<int>.Shared.Return(pivotBuffer);
        }
    }

    /// <summary>
    /// Right-looking LU with partial pivoting of one n×n matrix, in place (Golub &amp; Van Loan, Algorithm 3.4.1).
    /// </summary>
    /// <returns>True when every pivot is nonzero (the matrix is regular).</returns>
    private static bool LuFactorOne<T>(Span<T> a, int n, Span<int> pivots)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool regular = true;
        for (int k = 0; k < n; k++)
        {
            // Partial pivoting: the row with the largest |a[i,k]|, i ≥ k, keeps every multiplier |l| ≤ 1.
            int pivotRow = k;
            T largest = T.Abs(a[k * n + k]);
            for (int i = k + 1; i < n; i++)
            {
                T magnitude = T.Abs(a[i * n + k]);
                if (magnitude > largest)
                {
                    largest = magnitude;
                    pivotRow = i;
                }
            }

            pivots[k] = pivotRow;
            if (largest == T.Zero)
            {
                // Column k is already zero on and below the diagonal: U_kk = 0 and nothing to eliminate.
                regular = false;
                continue;
            }

            if (pivotRow != k)
            {
                // Whole rows, so the multipliers already stored in L move with them (LAPACK's convention).
                SwapRows(a, n, k, pivotRow);
            }

            T pivot = a[k * n + k];
            ReadOnlySpan<T> pivotTail = a.Slice(k * n + k + 1, n - k - 1);
            for (int i = k + 1; i < n; i++)
            {
                T multiplier = a[i * n + k] / pivot;
                a[i * n + k] = multiplier;
                if (multiplier == T.Zero)
                {
                    continue;
                }

                // a[i, k+1:] ← a[i, k+1:] − l_ik · a[k, k+1:]
                Span<T> rowTail = a.Slice(i * n + k + 1, n - k - 1);
                TensorPrimitives.MultiplyAdd(pivotTail, -multiplier, rowTail, rowTail);
            }
        }

        return regular;
    }

    /// <summary>Solves L·U·X = P·B for one matrix; <paramref name="x"/> holds B (n×nrhs) on entry and X on return.</summary>
    private static void LuSolveOne<T>(ReadOnlySpan<T> lu, ReadOnlySpan<int> pivots, Span<T> x, int n, int nrhs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // P·B: apply the row exchanges in the order the factorisation made them.
        for (int k = 0; k < n; k++)
        {
            if (pivots[k] != k)
            {
                SwapRows(x, nrhs, k, pivots[k]);
            }
        }

        // Forward substitution L·Y = P·B, L unit lower triangular: row_i ← row_i − L_ik · row_k.
        for (int k = 0; k < n; k++)
        {
            ReadOnlySpan<T> rowK = x.Slice(k * nrhs, nrhs);
            for (int i = k + 1; i < n; i++)
            {
                T factor = lu[i * n + k];
                if (factor != T.Zero)
                {
                    Span<T> rowI = x.Slice(i * nrhs, nrhs);
                    TensorPrimitives.MultiplyAdd(rowK, -factor, rowI, rowI);
                }
            }
        }

        // Back substitution U·X = Y: row_k ← row_k / U_kk, then row_i ← row_i − U_ik · row_k for i < k.
        for (int k = n - 1; k >= 0; k--)
        {
            Span<T> rowK = x.Slice(k * nrhs, nrhs);
            TensorPrimitives.Divide(rowK, lu[k * n + k], rowK);
            for (int i = 0; i < k; i++)
            {
                T factor = lu[i * n + k];
                if (factor != T.Zero)
                {
                    Span<T> rowI = x.Slice(i * nrhs, nrhs);
                    TensorPrimitives.MultiplyAdd(rowK, -factor, rowI, rowI);
                }
            }
        }
    }

    /// <summary>
    /// Solves Aᵀ·X = B for one matrix; <paramref name="x"/> holds B (n×nrhs) on entry and X on return.
    /// P·A = L·U gives Aᵀ = Uᵀ·Lᵀ·P, so: Uᵀ·Z = B, then Lᵀ·W = Z, then X = Pᵀ·W.
    /// </summary>
    private static void LuSolveTransposedOne<T>(ReadOnlySpan<T> lu, ReadOnlySpan<int> pivots, Span<T> x, int n, int nrhs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Forward substitution Uᵀ·Z = B, Uᵀ lower triangular with (Uᵀ)_ik = U_ki:
        // row_k ← row_k / U_kk, then row_i ← row_i − U_ki · row_k for i > k.
        for (int k = 0; k < n; k++)
        {
            Span<T> rowK = x.Slice(k * nrhs, nrhs);
            TensorPrimitives.Divide(rowK, lu[k * n + k], rowK);
            for (int i = k + 1; i < n; i++)
            {
                T factor = lu[k * n + i];
                if (factor != T.Zero)
                {
                    Span<T> rowI = x.Slice(i * nrhs, nrhs);
                    TensorPrimitives.MultiplyAdd(rowK, -factor, rowI, rowI);
                }
            }
        }

        // Back substitution Lᵀ·W = Z, Lᵀ unit upper triangular with (Lᵀ)_ik = L_ki: row_i ← row_i − L_ki · row_k for i < k.
        for (int k = n - 1; k >= 0; k--)
        {
            ReadOnlySpan<T> rowK = x.Slice(k * nrhs, nrhs);
            for (int i = 0; i < k; i++)
            {
                T factor = lu[k * n + i];
                if (factor != T.Zero)
                {
                    Span<T> rowI = x.Slice(i * nrhs, nrhs);
                    TensorPrimitives.MultiplyAdd(rowK, -factor, rowI, rowI);
                }
            }
        }

        // Pᵀ·W: undo the row exchanges, last one first.
        for (int k = n - 1; k >= 0; k--)
        {
            if (pivots[k] != k)
            {
                SwapRows(x, nrhs, k, pivots[k]);
            }
        }
    }

    /// <summary>det A = (−1)^s · ∏ U_kk for one factorised matrix; exactly +0 when a pivot is zero.</summary>
    private static T DeterminantOne<T>(ReadOnlySpan<T> lu, ReadOnlySpan<int> pivots, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T det = T.One;
        for (int k = 0; k < n; k++)
        {
            T diagonal = lu[k * n + k];
            if (diagonal == T.Zero)
            {
                // Checked first so that an overflowed partial product (∞·0) cannot turn into NaN.
                return T.Zero;
            }

            det *= diagonal;
            if (pivots[k] != k)
            {
                det = -det;
            }
        }

        return det;
    }
}
