using System.Buffers;
using System.Diagnostics;
using System.Numerics;

namespace Nabla.Backends.Cpu;

internal static partial class LinearAlgebra
{
    /// <summary>
    /// Symmetric eigen-decomposition A = V·diag(λ)·Vᵀ of each n×n matrix, reading only the lower
    /// triangle (like <c>torch.linalg.eigh</c> with its default <c>UPLO='L'</c>).
    /// </summary>
    /// <param name="a">batch·n·n values, left unchanged; entries above the diagonal are ignored.</param>
    /// <param name="values">batch·n eigenvalues, ascending within each matrix.</param>
    /// <param name="vectors">
    /// batch·n·n values: the orthonormal eigenvectors as the COLUMNS of each n×n row-major matrix
    /// (column j belongs to <c>values[j]</c>), as <c>torch.linalg.eigh</c> returns them.
    /// </param>
    /// <param name="batch">Number of matrices.</param>
    /// <param name="n">Size of each matrix.</param>
    /// <remarks>
    /// <para>
    /// Method: Householder reduction to tridiagonal form, then the implicit QL algorithm with
    /// Wilkinson-type shifts; the EISPACK routines <c>tred2</c> and <c>tql2</c> (Wilkinson &amp; Reinsch,
    /// Handbook for Automatic Computation II, 1971), by way of the public-domain JAMA port. Residuals
    /// ‖A·V − V·diag(λ)‖ are of order n·ε·‖A‖.
    /// </para>
    /// <para>
    /// Sign convention. An eigenvector is defined only up to sign (PyTorch's and LAPACK's choice is
    /// arbitrary), so each column is flipped to make its largest-magnitude component positive. Components
    /// whose magnitudes agree to within a relative √ε count as tied and the lowest index wins, so vectors
    /// like (1, −1)/√2 get a sign that does not depend on rounding: (0.707, −0.707). For a repeated
    /// eigenvalue the eigenvectors are any orthonormal basis of its eigenspace; only the subspace is defined.
    /// </para>
    /// </remarks>
    public static void EigH<T>(ReadOnlySpan<T> a, Span<T> values, Span<T> vectors, int batch, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Debug.Assert(batch >= 0 && n >= 0);
        Debug.Assert(a.Length == batch * n * n);
        Debug.Assert(values.Length == batch * n);
        Debug.Assert(vectors.Length == batch * n * n);
        if (n == 0)
        {
            return;
        }

        T[] subdiagonalBuffer = ArrayPool<T>.Shared.Rent(n);
        try
        {
            Span<T> subdiagonal = subdiagonalBuffer.AsSpan(0, n);
            for (int b = 0; b < batch; b++)
            {
                Span<T> d = values.Slice(b * n, n);
                Span<T> v = vectors.Slice(b * n * n, n * n);
                a.Slice(b * n * n, n * n).CopyTo(v);
                Tridiagonalize(v, d, subdiagonal, n);
                DiagonalizeTridiagonal(v, d, subdiagonal, n);
                SortAscending(v, d, n);
                NormalizeSigns(v, n);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(subdiagonalBuffer);
        }
    }

    /// <summary>
    /// Householder tridiagonalisation (EISPACK <c>tred2</c>): Qᵀ·A·Q = T with T tridiagonal.
    /// </summary>
    /// <param name="v">On entry A (only the lower triangle is read); on return the orthogonal Q.</param>
    /// <param name="d">On return the diagonal of T.</param>
    /// <param name="e">On return the subdiagonal of T in e[1..n−1]; e[0] = 0.</param>
    /// <param name="n">Matrix size, at least 1.</param>
    private static void Tridiagonalize<T>(Span<T> v, Span<T> d, Span<T> e, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < n; j++)
        {
            d[j] = v[(n - 1) * n + j];
        }

        // Step i annihilates row i left of the subdiagonal, working from the last row up; d holds row i.
        for (int i = n - 1; i > 0; i--)
        {
            // Scale the row by its 1-norm to avoid under/overflow in the sum of squares.
            T scale = T.Zero;
            T h = T.Zero;
            for (int k = 0; k < i; k++)
            {
                scale += T.Abs(d[k]);
            }

            if (scale == T.Zero)
            {
                // Row already reduced: no reflection needed.
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++)
                {
                    d[j] = v[(i - 1) * n + j];
                    v[i * n + j] = T.Zero;
                    v[j * n + i] = T.Zero;
                }
            }
            else
            {
                // Householder vector u = x − g·e_(i−1) with g = ∓‖x‖ (sign chosen against cancellation), h = uᵀu/2.
                for (int k = 0; k < i; k++)
                {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }

                T f = d[i - 1];
                T g = T.Sqrt(h);
                if (f > T.Zero)
                {
                    g = -g;
                }

                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++)
                {
                    e[j] = T.Zero;
                }

                // p = A·u / h, using the lower triangle only; u is stored in column i above the diagonal.
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    v[j * n + i] = f;
                    g = e[j] + v[j * n + j] * f;
                    for (int k = j + 1; k <= i - 1; k++)
                    {
                        g += v[k * n + j] * d[k];
                        e[k] += v[k * n + j] * f;
                    }

                    e[j] = g;
                }

                // q = p − (uᵀp / 2h)·u, then A ← A − u·qᵀ − q·uᵀ on the lower triangle.
                f = T.Zero;
                for (int j = 0; j < i; j++)
                {
                    e[j] /= h;
                    f += e[j] * d[j];
                }

                T hh = f / (h + h);
                for (int j = 0; j < i; j++)
                {
                    e[j] -= hh * d[j];
                }

                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    g = e[j];
                    for (int k = j; k <= i - 1; k++)
                    {
                        v[k * n + j] -= f * e[k] + g * d[k];
                    }

                    d[j] = v[(i - 1) * n + j];
                    v[i * n + j] = T.Zero;
                }
            }

            d[i] = h;
        }

        // Accumulate the reflections into Q: Q ← Q·(I − u·uᵀ/h), smallest first.
        for (int i = 0; i < n - 1; i++)
        {
            v[(n - 1) * n + i] = v[i * n + i];
            v[i * n + i] = T.One;
            T h = d[i + 1];
            if (h != T.Zero)
            {
                for (int k = 0; k <= i; k++)
                {
                    d[k] = v[k * n + i + 1] / h;
                }

                for (int j = 0; j <= i; j++)
                {
                    T g = T.Zero;
                    for (int k = 0; k <= i; k++)
                    {
                        g += v[k * n + i + 1] * v[k * n + j];
                    }

                    for (int k = 0; k <= i; k++)
                    {
                        v[k * n + j] -= g * d[k];
                    }
                }
            }

            for (int k = 0; k <= i; k++)
            {
                v[k * n + i + 1] = T.Zero;
            }
        }

        for (int j = 0; j < n; j++)
        {
            d[j] = v[(n - 1) * n + j];
            v[(n - 1) * n + j] = T.Zero;
        }

        v[(n - 1) * n + n - 1] = T.One;
        e[0] = T.Zero;
    }

    /// <summary>
    /// Implicit QL iteration on a symmetric tridiagonal matrix (EISPACK <c>tql2</c>), accumulating the
    /// plane rotations into <paramref name="v"/> so that its columns become the eigenvectors of A.
    /// </summary>
    /// <param name="v">On entry Q from <see cref="Tridiagonalize{T}"/>; on return the eigenvectors (unsorted columns).</param>
    /// <param name="d">On entry the diagonal; on return the eigenvalues (unsorted).</param>
    /// <param name="e">On entry the subdiagonal in e[1..n−1]; destroyed.</param>
    /// <param name="n">Matrix size, at least 1.</param>
    private static void DiagonalizeTridiagonal<T>(Span<T> v, Span<T> d, Span<T> e, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Guard against an endless loop on non-finite input; convergence normally takes 1–3 sweeps per eigenvalue.
        const int MaxIterationsPerEigenvalue = 64;
        T epsilon = T.BitIncrement(T.One) - T.One;
        T two = T.One + T.One;

        // Shift the subdiagonal down so that e[i] couples d[i] and d[i+1].
        for (int i = 1; i < n; i++)
        {
            e[i - 1] = e[i];
        }

        e[n - 1] = T.Zero;
        T shiftSum = T.Zero;
        T norm = T.Zero;
        for (int l = 0; l < n; l++)
        {
            // Find the first negligible subdiagonal element e[m], |e[m]| ≤ ε·‖T‖, at or after l:
            // the block d[l..m] then splits off and is diagonalised alone.
            norm = T.Max(norm, T.Abs(d[l]) + T.Abs(e[l]));
            int m = l;
            while (m < n - 1 && T.Abs(e[m]) > epsilon * norm)
            {
                m++;
            }

            if (m > l)
            {
                int iterations = 0;
                do
                {
                    // Shift μ: the eigenvalue of the leading 2×2 block [d_l e_l; e_l d_(l+1)] nearer d_l.
                    T g = d[l];
                    T p = (d[l + 1] - g) / (two * e[l]);
                    T r = T.Hypot(p, T.One);
                    if (p < T.Zero)
                    {
                        r = -r;
                    }

                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    T dl1 = d[l + 1];
                    T h = g - d[l];
                    for (int i = l + 2; i < n; i++)
                    {
                        d[i] -= h;
                    }

                    shiftSum += h;

                    // One implicit QL sweep from the bottom of the block up: Givens rotations (c, s)
                    // chase the bulge, and each is applied to columns i, i+1 of V.
                    p = d[m];
                    T c = T.One;
                    T c2 = c;
                    T c3 = c;
                    T el1 = e[l + 1];
                    T s = T.Zero;
                    T s2 = T.Zero;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = T.Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        for (int k = 0; k < n; k++)
                        {
                            T right = v[k * n + i + 1];
                            v[k * n + i + 1] = s * v[k * n + i] + c * right;
                            v[k * n + i] = c * v[k * n + i] - s * right;
                        }
                    }

                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                }
                while (T.Abs(e[l]) > epsilon * norm && ++iterations < MaxIterationsPerEigenvalue);
            }

            d[l] += shiftSum;
            e[l] = T.Zero;
        }
    }

    /// <summary>Sorts the eigenvalues ascending (selection sort, n is small) and permutes the columns of <paramref name="v"/> with them.</summary>
    private static void SortAscending<T>(Span<T> v, Span<T> d, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < n - 1; i++)
        {
            int smallest = i;
            for (int j = i + 1; j < n; j++)
            {
                if (d[j] < d[smallest])
                {
                    smallest = j;
                }
            }

            if (smallest != i)
            {
                (d[i], d[smallest]) = (d[smallest], d[i]);
                for (int row = 0; row < n; row++)
                {
                    (v[row * n + i], v[row * n + smallest]) = (v[row * n + smallest], v[row * n + i]);
                }
            }
        }
    }

    /// <summary>
    /// Flips each column of <paramref name="v"/> so that its largest-magnitude component is positive;
    /// magnitudes within a relative √ε of the largest count as tied and the lowest index wins.
    /// </summary>
    private static void NormalizeSigns<T>(Span<T> v, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T tieTolerance = T.One - T.Sqrt(T.BitIncrement(T.One) - T.One);
        for (int column = 0; column < n; column++)
        {
            T largest = T.Zero;
            for (int row = 0; row < n; row++)
            {
                largest = T.Max(largest, T.Abs(v[row * n + column]));
            }

            int leading = 0;
            while (leading < n - 1 && T.Abs(v[leading * n + column]) < tieTolerance * largest)
            {
                leading++;
            }

            if (v[leading * n + column] < T.Zero)
            {
                for (int row = 0; row < n; row++)
                {
                    v[row * n + column] = -v[row * n + column];
                }
            }
        }
    }
}
