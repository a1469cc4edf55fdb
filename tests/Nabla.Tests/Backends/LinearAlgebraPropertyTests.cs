using System.Numerics;
using Nabla.Backends.Cpu;
using Xunit.Abstractions;

namespace Nabla.Tests.Backends;

/// <summary>
/// Algebraic identities of the linear-algebra kernels on seeded random matrices, batched, in each
/// dtype: A·A⁻¹ = I, A·X = B, det(AB) = det(A)·det(B), V·diag(λ)·Vᵀ = A, VᵀV = I.
/// </summary>
/// <remarks>
/// Each bound is a backward-error bound c·n·ε relative to the norms involved, so it holds however
/// badly conditioned a random matrix happens to be; ε is the dtype's machine epsilon. The observed
/// ratios are written to the test output (<c>dotnet test --logger "console;verbosity=detailed"</c>).
/// </remarks>
public abstract class LinearAlgebraPropertyTests<T>(ITestOutputHelper output)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Batch = 3;

    /// <summary>Machine epsilon of <typeparamref name="T"/>: 2⁻²³ for float, 2⁻⁵² for double.</summary>
    private static readonly double Epsilon = double.CreateChecked(T.BitIncrement(T.One) - T.One);

    /// <summary>Backward-error bound c·n·ε; c = 8 leaves a 4× margin over the largest ratio observed (≈ 2·n·ε, eigenvector orthogonality at n = 5).</summary>
    private static double Bound(int n) => 8 * Math.Max(n, 1) * Epsilon;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(50)]
    public void Inverse_times_matrix_is_identity(int n)
    {
        T[] a = RandomMatrices(seed: 10 + n, Batch, n);
        T[] inverse = new T[a.Length];
        bool[] singular = new bool[Batch];
        LinearAlgebra.Inverse<T>(a, inverse, Batch, n, singular);

        for (int b = 0; b < Batch; b++)
        {
            Assert.False(singular[b]);
            double[] matrix = Matrix(a, b, n, n);
            double[] x = Matrix(inverse, b, n, n);
            double[] residual = Subtract(Multiply(matrix, x, n, n, n), Identity(n));

            // ‖A·X − I‖∞ / (‖A‖∞·‖X‖∞)
            double ratio = InfinityNorm(residual, n, n) / (InfinityNorm(matrix, n, n) * InfinityNorm(x, n, n));
            Report($"inverse n={n} batch {b}: ‖AX − I‖/(‖A‖‖X‖) = {ratio:E2} = {ratio / (n * Epsilon):F3}·nε");
            Assert.True(ratio <= Bound(n), $"ratio {ratio:E2} > bound {Bound(n):E2}");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(3, 1)]
    [InlineData(5, 4)]
    [InlineData(16, 1)]
    [InlineData(50, 7)]
    public void LuSolve_and_LuSolveTransposed_solutions_satisfy_their_systems(int n, int nrhs)
    {
        T[] a = RandomMatrices(seed: 20 + n, Batch, n);
        T[] rightHandSides = RandomMatrices(seed: 30 + n, Batch, n, nrhs);
        T[] lu = (T[])a.Clone();
        int[] pivots = new int[Batch * n];
        bool[] singular = new bool[Batch];
        LinearAlgebra.LuFactor<T>(lu, Batch, n, pivots, singular);
        T[] solution = (T[])rightHandSides.Clone();
        LinearAlgebra.LuSolve<T>(lu, pivots, solution, Batch, n, nrhs);
        T[] transposedSolution = (T[])rightHandSides.Clone();
        LinearAlgebra.LuSolveTransposed<T>(lu, pivots, transposedSolution, Batch, n, nrhs);

        for (int b = 0; b < Batch; b++)
        {
            Assert.False(singular[b]);
            AssertBackwardErrorIsSmall(Matrix(a, b, n, n), Matrix(solution, b, n, nrhs), Matrix(rightHandSides, b, n, nrhs), "solve");
            AssertBackwardErrorIsSmall(Transpose(Matrix(a, b, n, n), n), Matrix(transposedSolution, b, n, nrhs), Matrix(rightHandSides, b, n, nrhs), "solve transposed");
        }

        void AssertBackwardErrorIsSmall(double[] matrix, double[] x, double[] rhs, string kernel)
        {
            double[] residual = Subtract(Multiply(matrix, x, n, n, nrhs), rhs);

            // Normwise backward error ‖A·X − B‖∞ / (‖A‖∞·‖X‖∞ + ‖B‖∞)
            double ratio = InfinityNorm(residual, n, nrhs)
                / (InfinityNorm(matrix, n, n) * InfinityNorm(x, n, nrhs) + InfinityNorm(rhs, n, nrhs));
            Report($"{kernel} n={n} nrhs={nrhs}: backward error = {ratio:E2} = {ratio / (n * Epsilon):F3}·nε");
            Assert.True(ratio <= Bound(n), $"{kernel}: ratio {ratio:E2} > bound {Bound(n):E2}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(50)]
    public void Determinant_is_multiplicative(int n)
    {
        T[] a = RandomMatrices(seed: 40 + n, Batch, n);
        T[] bMatrices = RandomMatrices(seed: 50 + n, Batch, n);
        T[] products = new T[a.Length];
        for (int b = 0; b < Batch; b++)
        {
            double[] product = Multiply(Matrix(a, b, n, n), Matrix(bMatrices, b, n, n), n, n, n);
            for (int i = 0; i < n * n; i++)
            {
                products[b * n * n + i] = T.CreateChecked(product[i]);
            }
        }

        T[] detA = DeterminantOf(a, n);
        T[] detB = DeterminantOf(bMatrices, n);
        T[] detAB = DeterminantOf(products, n);
        for (int b = 0; b < Batch; b++)
        {
            double expected = double.CreateChecked(detA[b]) * double.CreateChecked(detB[b]);
            double relativeError = Math.Abs(double.CreateChecked(detAB[b]) - expected) / Math.Abs(expected);

            // Unlike a residual, a determinant's relative error grows with the condition number: a backward
            // error δM of LU moves det M by det M · tr(M⁻¹δM), so the worst case is about n²·ε·κ(M) for
            // each of the three determinants, κ(M) = ‖M‖∞·‖M⁻¹‖∞. Rounding errors do not line up like
            // that in practice: ε·Σκ holds here with a margin of 9× or more (largest observed 0.11·ε·Σκ).
            double conditioning = Condition(a, b, n) + Condition(bMatrices, b, n) + Condition(products, b, n);
            double ratio = relativeError / (Epsilon * conditioning);
            Report($"det n={n} batch {b}: |det(AB) − det(A)det(B)|/|det(A)det(B)| = {relativeError:E2} = {ratio:F3}·ε·Σκ (Σκ = {conditioning:F0})");
            Assert.True(ratio <= 1, $"relative error {relativeError:E2} > ε·Σκ = {Epsilon * conditioning:E2}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(50)]
    public void EigH_vectors_are_orthonormal_and_reconstruct_the_matrix(int n)
    {
        T[] a = RandomSymmetricMatrices(seed: 60 + n, Batch, n);
        T[] values = new T[Batch * n];
        T[] vectors = new T[Batch * n * n];
        LinearAlgebra.EigH<T>(a, values, vectors, Batch, n);

        for (int b = 0; b < Batch; b++)
        {
            double[] matrix = Matrix(a, b, n, n);
            double[] v = Matrix(vectors, b, n, n);
            double[] lambda = Matrix(values, b, 1, n);
            double norm = InfinityNorm(matrix, n, n);

            // V·diag(λ)·Vᵀ − A, relative to ‖A‖
            double[] scaledColumns = new double[n * n];
            for (int i = 0; i < n * n; i++)
            {
                scaledColumns[i] = v[i] * lambda[i % n];
            }

            double[] reconstruction = Multiply(scaledColumns, Transpose(v, n), n, n, n);
            double reconstructionRatio = InfinityNorm(Subtract(reconstruction, matrix), n, n) / norm;

            // VᵀV − I
            double orthogonality = InfinityNorm(Subtract(Multiply(Transpose(v, n), v, n, n, n), Identity(n)), n, n);

            Report($"eigh n={n} batch {b}: ‖VΛVᵀ − A‖/‖A‖ = {reconstructionRatio:E2} ({reconstructionRatio / (n * Epsilon):F3}·nε), ‖VᵀV − I‖ = {orthogonality:E2} ({orthogonality / (n * Epsilon):F3}·nε)");
            Assert.True(reconstructionRatio <= Bound(n), $"reconstruction {reconstructionRatio:E2} > {Bound(n):E2}");
            Assert.True(orthogonality <= Bound(n), $"orthogonality {orthogonality:E2} > {Bound(n):E2}");

            // Σλ = trace A and Σλ² = ‖A‖F², independent of the vectors.
            double trace = 0, frobeniusSquared = 0;
            for (int i = 0; i < n; i++)
            {
                trace += matrix[i * n + i];
            }

            foreach (double entry in matrix)
            {
                frobeniusSquared += entry * entry;
            }

            Assert.Equal(trace, lambda.Sum(), n * Bound(n) * norm);
            Assert.Equal(frobeniusSquared, lambda.Sum(value => value * value), n * Bound(n) * norm * norm);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(50)]
    public void EigH_values_ascend_and_largest_component_of_each_vector_is_positive(int n)
    {
        T[] a = RandomSymmetricMatrices(seed: 70 + n, Batch, n);
        T[] values = new T[Batch * n];
        T[] vectors = new T[Batch * n * n];
        LinearAlgebra.EigH<T>(a, values, vectors, Batch, n);

        for (int b = 0; b < Batch; b++)
        {
            for (int j = 1; j < n; j++)
            {
                Assert.True(values[b * n + j - 1] <= values[b * n + j]);
            }

            for (int column = 0; column < n; column++)
            {
                T mostPositive = T.Zero;
                T mostNegative = T.Zero;
                for (int row = 0; row < n; row++)
                {
                    T component = vectors[b * n * n + row * n + column];
                    mostPositive = T.Max(mostPositive, component);
                    mostNegative = T.Max(mostNegative, -component);
                }

                Assert.True(mostPositive >= mostNegative, $"column {column}: largest component is negative");
            }
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(16)]
    public void Batched_results_equal_matrix_by_matrix_results(int n)
    {
        T[] a = RandomMatrices(seed: 80 + n, Batch, n);
        T[] symmetric = RandomSymmetricMatrices(seed: 90 + n, Batch, n);
        T[] lu = (T[])a.Clone();
        int[] pivots = new int[Batch * n];
        bool[] singular = new bool[Batch];
        T[] inverse = new T[a.Length];
        T[] values = new T[Batch * n];
        T[] vectors = new T[a.Length];
        LinearAlgebra.LuFactor<T>(lu, Batch, n, pivots, singular);
        LinearAlgebra.Inverse<T>(a, inverse, Batch, n, singular);
        LinearAlgebra.EigH<T>(symmetric, values, vectors, Batch, n);

        for (int b = 0; b < Batch; b++)
        {
            Range matrix = (b * n * n)..((b + 1) * n * n);
            Range vector = (b * n)..((b + 1) * n);

            T[] luOne = a[matrix];
            int[] pivotsOne = new int[n];
            LinearAlgebra.LuFactor<T>(luOne, 1, n, pivotsOne, singular.AsSpan(0, 1));
            Assert.Equal(luOne, lu[matrix]);
            Assert.Equal(pivotsOne, pivots[vector]);

            T[] inverseOne = new T[n * n];
            LinearAlgebra.Inverse<T>(a[matrix], inverseOne, 1, n, singular.AsSpan(0, 1));
            Assert.Equal(inverseOne, inverse[matrix]);

            T[] valuesOne = new T[n];
            T[] vectorsOne = new T[n * n];
            LinearAlgebra.EigH<T>(symmetric[matrix], valuesOne, vectorsOne, 1, n);
            Assert.Equal(valuesOne, values[vector]);
            Assert.Equal(vectorsOne, vectors[matrix]);
        }
    }

    private void Report(string line) => output.WriteLine($"{typeof(T).Name} {line}");

    /// <summary>
    /// batch rows×columns matrices with entries uniform in ±√(3/columns), so that each row has
    /// expected squared norm 1 and determinants of n = 50 stay far from overflow in float.
    /// </summary>
    private static T[] RandomMatrices(int seed, int batch, int rows, int columns = -1)
    {
        columns = columns < 0 ? rows : columns;
        var random = new Random(seed);
        double scale = Math.Sqrt(3.0 / Math.Max(columns, 1));
        T[] result = new T[batch * rows * columns];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = T.CreateChecked((2 * random.NextDouble() - 1) * scale);
        }

        return result;
    }

    /// <summary>Random symmetric matrices (A + Aᵀ)/2 of <see cref="RandomMatrices"/>.</summary>
    private static T[] RandomSymmetricMatrices(int seed, int batch, int n)
    {
        T[] result = RandomMatrices(seed, batch, n);
        T two = T.One + T.One;
        for (int b = 0; b < batch; b++)
        {
            Span<T> matrix = result.AsSpan(b * n * n, n * n);
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < i; j++)
                {
                    T mean = (matrix[i * n + j] + matrix[j * n + i]) / two;
                    matrix[i * n + j] = mean;
                    matrix[j * n + i] = mean;
                }
            }
        }

        return result;
    }

    /// <summary>κ∞(M) = ‖M‖∞·‖M⁻¹‖∞ of matrix <paramref name="b"/> of a batch, with the inverse from the kernel under test.</summary>
    private static double Condition(T[] batch, int b, int n)
    {
        T[] matrix = batch[(b * n * n)..((b + 1) * n * n)];
        T[] inverse = new T[n * n];
        bool[] singular = new bool[1];
        LinearAlgebra.Inverse<T>(matrix, inverse, 1, n, singular);
        return InfinityNorm(Matrix(matrix, 0, n, n), n, n) * InfinityNorm(Matrix(inverse, 0, n, n), n, n);
    }

    private static T[] DeterminantOf(T[] matrices, int n)
    {
        T[] lu = (T[])matrices.Clone();
        int[] pivots = new int[Batch * n];
        bool[] singular = new bool[Batch];
        T[] det = new T[Batch];
        LinearAlgebra.LuFactor<T>(lu, Batch, n, pivots, singular);
        LinearAlgebra.Determinant<T>(lu, pivots, det, Batch, n);
        return det;
    }

    /// <summary>Matrix <paramref name="b"/> of a batch, widened to double so that the checks add no rounding of their own.</summary>
    private static double[] Matrix(T[] batch, int b, int rows, int columns)
    {
        double[] result = new double[rows * columns];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = double.CreateChecked(batch[b * rows * columns + i]);
        }

        return result;
    }

    private static double[] Multiply(double[] left, double[] right, int rows, int inner, int columns)
    {
        double[] result = new double[rows * columns];
        for (int i = 0; i < rows; i++)
        {
            for (int k = 0; k < inner; k++)
            {
                double factor = left[i * inner + k];
                for (int j = 0; j < columns; j++)
                {
                    result[i * columns + j] += factor * right[k * columns + j];
                }
            }
        }

        return result;
    }

    private static double[] Transpose(double[] matrix, int n)
    {
        double[] result = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                result[j * n + i] = matrix[i * n + j];
            }
        }

        return result;
    }

    private static double[] Identity(int n)
    {
        double[] result = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            result[i * n + i] = 1;
        }

        return result;
    }

    private static double[] Subtract(double[] left, double[] right)
    {
        double[] result = new double[left.Length];
        for (int i = 0; i < left.Length; i++)
        {
            result[i] = left[i] - right[i];
        }

        return result;
    }

    /// <summary>‖M‖∞ = max over rows of Σ|m_ij|.</summary>
    private static double InfinityNorm(double[] matrix, int rows, int columns)
    {
        double norm = 0;
        for (int i = 0; i < rows; i++)
        {
            double rowSum = 0;
            for (int j = 0; j < columns; j++)
            {
                rowSum += Math.Abs(matrix[i * columns + j]);
            }

            norm = Math.Max(norm, rowSum);
        }

        return norm;
    }
}

/// <summary>The property tests in float32.</summary>
public sealed class LinearAlgebraFloatPropertyTests(ITestOutputHelper output) : LinearAlgebraPropertyTests<float>(output);

/// <summary>The property tests in float64.</summary>
public sealed class LinearAlgebraDoublePropertyTests(ITestOutputHelper output) : LinearAlgebraPropertyTests<double>(output);
