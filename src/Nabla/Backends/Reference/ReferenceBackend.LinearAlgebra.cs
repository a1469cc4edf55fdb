namespace Nabla.Backends.Reference;

// Linear algebra from the textbook, in double, one matrix at a time: Gaussian elimination with partial pivoting for the
// inverse (Gauss–Jordan), determinant and solve, and the cyclic Jacobi method for the symmetric eigenproblem — methods
// that share nothing with the CPU backend's blocked LU and Householder + QL.
internal sealed partial class ReferenceBackend
{
    public Tensor Inverse(Tensor a, int batch, int n, bool[] singular)
    {
        var values = Doubles(a);
        var inverse = new double[values.Length];
        for (int b = 0; b < batch; b++)
        {
            var m = Matrix(values, b, n, n);
            var x = new double[n, n];
            for (int i = 0; i < n; i++) x[i, i] = 1;
            singular[b] = !Eliminate(m, x, n, n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) inverse[(b * n + i) * n + j] = singular[b] ? double.NaN : x[i, j];
        }
        return FromDoubles(inverse, a.shape, a.DType, "Linalg.Inv");
    }

    public Tensor Det(Tensor a, int batch, int n)
    {
        var values = Doubles(a);
        var det = new double[batch];
        for (int b = 0; b < batch; b++)
        {
            var m = Matrix(values, b, n, n);
            // det = (−1)^swaps · Π pivots of the row echelon form; exactly +0 when a pivot vanishes.
            double product = 1;
            for (int k = 0; k < n && product != 0; k++)
            {
                int pivot = PivotRow(m, k, n);
                if (m[pivot, k] == 0) { product = 0; break; }
                if (pivot != k) { SwapRows(m, pivot, k, n); product = -product; }
                product *= m[k, k];
                for (int i = k + 1; i < n; i++)
                {
                    double factor = m[i, k] / m[k, k];
                    for (int j = k; j < n; j++) m[i, j] -= factor * m[k, j];
                }
            }
            det[b] = product == 0 ? 0 : product;
        }
        return FromDoubles(det, a.shape[..^2], a.DType, "Linalg.Det");
    }

    public void Solve(Tensor a, Tensor b, int batch, int n, int k, bool[] singular)
    {
        double[] lhs = Doubles(a), rhs = Doubles(b);
        for (int s = 0; s < batch; s++)
        {
            var m = Matrix(lhs, s, n, n);
            var x = Matrix(rhs, s, n, k);
            singular[s] = !Eliminate(m, x, n, k);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < k; j++) WriteDouble(b.storage.Data, b.offset + (s * n + i) * k + j, x[i, j]);
        }
    }

    /// <summary>Matrix <paramref name="index"/> of a row-major batch of rows × columns matrices.</summary>
    static double[,] Matrix(double[] values, int index, int rows, int columns)
    {
        var m = new double[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) m[i, j] = values[(index * rows + i) * columns + j];
        return m;
    }

    /// <summary>The row at or below <paramref name="k"/> with the largest |m[row, k]| (the first on ties).</summary>
    static int PivotRow(double[,] m, int k, int n)
    {
        int pivot = k;
        for (int i = k + 1; i < n; i++) if (Math.Abs(m[i, k]) > Math.Abs(m[pivot, k])) pivot = i;
        return pivot;
    }

    static void SwapRows(double[,] m, int r, int s, int columns)
    {
        for (int j = 0; j < columns; j++) (m[r, j], m[s, j]) = (m[s, j], m[r, j]);
    }

    /// <summary>
    /// Gauss–Jordan elimination with partial pivoting: reduces A to I and applies the same row operations to X (B in,
    /// A⁻¹B out). False when a pivot is exactly zero (A singular); X is then unspecified.
    /// </summary>
    static bool Eliminate(double[,] a, double[,] x, int n, int k)
    {
        for (int c = 0; c < n; c++)
        {
            int pivot = PivotRow(a, c, n);
            if (a[pivot, c] == 0) return false;
            SwapRows(a, pivot, c, n);
            SwapRows(x, pivot, c, k);
            double inverse = 1 / a[c, c];
            for (int j = 0; j < n; j++) a[c, j] *= inverse;
            for (int j = 0; j < k; j++) x[c, j] *= inverse;
            for (int i = 0; i < n; i++)
            {
                if (i == c || a[i, c] == 0) continue;
                double factor = a[i, c];
                for (int j = 0; j < n; j++) a[i, j] -= factor * a[c, j];
                for (int j = 0; j < k; j++) x[i, j] -= factor * x[c, j];
            }
        }
        return true;
    }

    public (Tensor Values, Tensor Vectors) EigH(Tensor a, int batch, int n)
    {
        var values = Doubles(a);
        var eigenvalues = new double[batch * n];
        var eigenvectors = new double[batch * n * n];
        // Components within a relative √ε (of the tensor's dtype) of the largest magnitude count as tied for the sign rule.
        double tie = Math.Sqrt(a.DType == DType.Float32 ? MathF.BitIncrement(1f) - 1f : Math.BitIncrement(1.0) - 1);
        for (int b = 0; b < batch; b++)
        {
            var m = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++) m[i, j] = m[j, i] = values[(b * n + i) * n + j]; // the lower triangle, mirrored
            var v = Jacobi(m, n);
            var order = Enumerable.Range(0, n).OrderBy(i => m[i, i]).ToArray();
            for (int c = 0; c < n; c++)
            {
                int source = order[c];
                eigenvalues[b * n + c] = m[source, source];
                double largest = 0;
                for (int i = 0; i < n; i++) largest = Math.Max(largest, Math.Abs(v[i, source]));
                int first = 0;
                while (Math.Abs(v[first, source]) < largest * (1 - tie)) first++;
                double sign = v[first, source] < 0 ? -1 : 1;
                for (int i = 0; i < n; i++) eigenvectors[(b * n + i) * n + c] = sign * v[i, source];
            }
        }
        return (FromDoubles(eigenvalues, a.shape[..^1], a.DType, "Linalg.EigH"), FromDoubles(eigenvectors, a.shape, a.DType, "Linalg.EigH"));
    }

    /// <summary>
    /// The cyclic Jacobi method (Numerical Recipes §11.1): rotations Jᵀ A J that zero one off-diagonal pair at a time until
    /// the off-diagonal part vanishes. Leaves the eigenvalues on A's diagonal and returns the eigenvectors as columns.
    /// </summary>
    static double[,] Jacobi(double[,] a, int n)
    {
        var v = new double[n, n];
        for (int i = 0; i < n; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, total = 0;
            for (int p = 0; p < n; p++)
                for (int q = 0; q < n; q++)
                {
                    total += a[p, q] * a[p, q];
                    if (p != q) off += a[p, q] * a[p, q];
                }
            if (off <= 1e-32 * total || off == 0) break;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    if (a[p, q] == 0) continue;
                    // θ = (a_qq − a_pp)/(2a_pq), t = sgn θ/(|θ| + √(θ² + 1)) (the smaller rotation), c = 1/√(t² + 1), s = t·c
                    double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double t = (theta >= 0 ? 1 : -1) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (double.IsInfinity(theta * theta)) t = 1 / (2 * theta);
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
        }
        return v;
    }
}
