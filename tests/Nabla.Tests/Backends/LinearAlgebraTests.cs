using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>
/// The linear-algebra kernels against values from PyTorch, on singular matrices, repeated
/// eigenvalues and the 0×0 and 1×1 edge cases. Properties on random matrices of many sizes are in
/// <see cref="LinearAlgebraPropertyTests{T}"/>.
/// </summary>
/// <remarks>
/// Reference values were produced with Debian's PyTorch 1.13 (float64), printed with repr():
/// <code>
/// import torch
/// A = torch.tensor([[1., 2., 3., 4.], [2., 1., -1., 0.5], [4., -3., 2., 1.], [0., 5., 1., -2.]], dtype=torch.float64)
/// B = torch.tensor([[1., 0.], [2., -1.], [3., 4.], [-2., 0.5]], dtype=torch.float64)
/// LU, piv = torch.linalg.lu_factor(A); piv - 1        # 0-based pivots
/// torch.linalg.det(A); torch.linalg.inv(A); torch.linalg.solve(A, B); torch.linalg.solve(A.T, B)
/// S = torch.tensor([[4., 1., -2., 0.5], [1., 3., 0., 1.], [-2., 0., 5., -1.], [0.5, 1., -1., 2.]], dtype=torch.float64)
/// w, V = torch.linalg.eigh(S)
/// idx = V.abs().argmax(dim=0); V = V * torch.sign(V[idx, torch.arange(4)])   # Nabla's sign convention
/// </code>
/// </remarks>
public class LinearAlgebraTests
{
    private static readonly double[] MatrixA =
    [
        1, 2, 3, 4,
        2, 1, -1, 0.5,
        4, -3, 2, 1,
        0, 5, 1, -2,
    ];

    private static readonly double[] RightHandSideB =
    [
        1, 0,
        2, -1,
        3, 4,
        -2, 0.5,
    ];

    private static readonly double[] SymmetricS =
    [
        4, 1, -2, 0.5,
        1, 3, 0, 1,
        -2, 0, 5, -1,
        0.5, 1, -1, 2,
    ];

    [Fact]
    public void LuFactor_matches_pytorch_lu_factor()
    {
        double[] expectedLu =
        [
            4.0, -3.0, 2.0, 1.0,
            0.0, 5.0, 1.0, -2.0,
            0.5, 0.5, -2.5, 1.0,
            0.25, 0.55, -0.78, 5.63,
        ];
        int[] expectedPivots = [2, 3, 3, 3];

        double[] lu = (double[])MatrixA.Clone();
        int[] pivots = new int[4];
        bool[] singular = new bool[1];
        LinearAlgebra.LuFactor<double>(lu, 1, 4, pivots, singular);

        AssertClose(expectedLu, lu, 1e-15);
        Assert.Equal(expectedPivots, pivots);
        Assert.False(singular[0]);
    }

    [Fact]
    public void Determinant_matches_pytorch_det()
    {
        Assert.Equal(281.5, DeterminantOf(MatrixA, 1, 4)[0], 1e-12);
        Assert.Equal(281.5f, DeterminantOf(ToFloat(MatrixA), 1, 4)[0], 1e-4f);
    }

    [Fact]
    public void Inverse_matches_pytorch_inv()
    {
        double[] expected =
        [
            -0.03730017761989343, 0.23090586145648315, 0.14387211367673178, 0.055062166962699804,
            0.056838365896980464, 0.12433392539964472, -0.07637655417406751, 0.10657193605683837,
            0.07104795737122557, -0.3445825932504441, 0.15452930728241562, 0.13321492007104796,
            0.17761989342806397, 0.13854351687388994, -0.1136767317939609, -0.1669626998223801,
        ];

        double[] inverse = new double[16];
        float[] inverseFloat = new float[16];
        bool[] singular = new bool[1];
        LinearAlgebra.Inverse<double>(MatrixA, inverse, 1, 4, singular);
        AssertClose(expected, inverse, 1e-15);
        Assert.False(singular[0]);

        LinearAlgebra.Inverse<float>(ToFloat(MatrixA), inverseFloat, 1, 4, singular);
        AssertClose(expected, ToDouble(inverseFloat), 1e-6);
        Assert.False(singular[0]);
    }

    [Fact]
    public void LuSolve_matches_pytorch_solve()
    {
        double[] expected =
        [
            0.7460035523978685, 0.372113676731794,
            -0.13676731793960925, -0.37655417406749564,
            -0.42095914742451157, 1.0293072824156306,
            0.44760213143872113, -0.6767317939609236,
        ];

        double[] lu = (double[])MatrixA.Clone();
        int[] pivots = new int[4];
        bool[] singular = new bool[1];
        LinearAlgebra.LuFactor<double>(lu, 1, 4, pivots, singular);
        double[] x = (double[])RightHandSideB.Clone();
        LinearAlgebra.LuSolve<double>(lu, pivots, x, 1, 4, 2);
        AssertClose(expected, x, 1e-15);

        float[] luFloat = ToFloat(MatrixA);
        LinearAlgebra.LuFactor<float>(luFloat, 1, 4, pivots, singular);
        float[] xFloat = ToFloat(RightHandSideB);
        LinearAlgebra.LuSolve<float>(luFloat, pivots, xFloat, 1, 4, 2);
        AssertClose(expected, ToDouble(xFloat), 1e-6);
    }

    [Fact]
    public void LuSolveTransposed_matches_pytorch_solve_of_the_transpose()
    {
        double[] expected =
        [
            -0.06571936056838368, 0.31616341030195383,
            -0.8312611012433393, -1.433392539964476,
            0.6820603907637656, 0.6376554174067496,
            1.0017761989342806, 0.3428063943161634,
        ];

        double[] lu = (double[])MatrixA.Clone();
        int[] pivots = new int[4];
        bool[] singular = new bool[1];
        LinearAlgebra.LuFactor<double>(lu, 1, 4, pivots, singular);
        double[] x = (double[])RightHandSideB.Clone();
        LinearAlgebra.LuSolveTransposed<double>(lu, pivots, x, 1, 4, 2);
        AssertClose(expected, x, 1e-15);

        float[] luFloat = ToFloat(MatrixA);
        LinearAlgebra.LuFactor<float>(luFloat, 1, 4, pivots, singular);
        float[] xFloat = ToFloat(RightHandSideB);
        LinearAlgebra.LuSolveTransposed<float>(luFloat, pivots, xFloat, 1, 4, 2);
        AssertClose(expected, ToDouble(xFloat), 1e-6);
    }

    [Fact]
    public void EigH_matches_pytorch_eigh_with_largest_component_positive()
    {
        double[] expectedValues = [1.0471386409290875, 2.3609454269745442, 3.6025744003397655, 6.989341531756605];
        double[] expectedVectors =
        [
            0.26957521926030514, 0.7174994986878306, 0.22717960250456717, -0.6007604337415513,
            -0.5187947492237328, -0.23482246109287197, 0.7939353884583273, -0.21301882287181984,
            0.32450149949344714, 0.32874040391810977, 0.5049175736331961, 0.7291685453272296,
            0.7435589997876072, -0.5674351310773383, 0.25122553810422615, -0.24904440338690392,
        ];

        double[] values = new double[4];
        double[] vectors = new double[16];
        LinearAlgebra.EigH<double>(SymmetricS, values, vectors, 1, 4);
        AssertClose(expectedValues, values, 1e-14);
        AssertClose(expectedVectors, vectors, 1e-14);

        float[] valuesFloat = new float[4];
        float[] vectorsFloat = new float[16];
        LinearAlgebra.EigH<float>(ToFloat(SymmetricS), valuesFloat, vectorsFloat, 1, 4);
        AssertClose(expectedValues, ToDouble(valuesFloat), 5e-6);
        AssertClose(expectedVectors, ToDouble(vectorsFloat), 5e-6);
    }

    [Fact]
    public void EigH_reads_only_the_lower_triangle()
    {
        double[] garbageAbove = (double[])SymmetricS.Clone();
        for (int i = 0; i < 4; i++)
        {
            for (int j = i + 1; j < 4; j++)
            {
                garbageAbove[i * 4 + j] = 1000 + i - j;
            }
        }

        double[] values = new double[4], vectors = new double[16];
        double[] valuesGarbage = new double[4], vectorsGarbage = new double[16];
        LinearAlgebra.EigH<double>(SymmetricS, values, vectors, 1, 4);
        LinearAlgebra.EigH<double>(garbageAbove, valuesGarbage, vectorsGarbage, 1, 4);

        Assert.Equal(values, valuesGarbage);
        Assert.Equal(vectors, vectorsGarbage);
    }

    [Fact]
    public void Singular_matrices_have_determinant_zero_and_no_inverse()
    {
        // Exactly singular in floating point: pytorch's lu_factor_ex reports info > 0 and det = ±0 for each.
        // ([[1,2,3],[4,5,6],[7,8,9]] is left out: whether its last pivot rounds to exactly 0 depends on
        // the order of rounding — LAPACK multiplies by 1/pivot, we divide — so it is not a property.)
        double[][] singularMatrices =
        [
            [1, 2, 2, 4],                                // 2×2, second row = 2 × first
            [1, 0, 2, 3, 0, 4, 5, 0, 6],                 // 3×3, zero column
            [4, 2, 0, 1, 2, 1, 0, 0.5, 0, 1, 3, 2, 1, 1, 1, 1], // 4×4, first column = 2 × second
            new double[9],                               // 3×3 zero matrix
        ];

        foreach (double[] matrix in singularMatrices)
        {
            int n = (int)Math.Sqrt(matrix.Length);
            double[] lu = (double[])matrix.Clone();
            int[] pivots = new int[n];
            bool[] singular = new bool[1];
            LinearAlgebra.LuFactor<double>(lu, 1, n, pivots, singular);
            Assert.True(singular[0]);

            double[] det = new double[1];
            LinearAlgebra.Determinant<double>(lu, pivots, det, 1, n);
            Assert.Equal(0.0, det[0]);
            Assert.False(double.IsNegative(det[0]));

            double[] inverse = new double[n * n];
            LinearAlgebra.Inverse<double>(matrix, inverse, 1, n, singular);
            Assert.True(singular[0]);
            Assert.All(inverse, value => Assert.True(double.IsNaN(value)));
        }
    }

    [Fact]
    public void Inverse_flags_only_the_singular_matrix_of_a_batch()
    {
        // Batch of three 2×2: regular, singular, regular.
        float[] batch = [2, 1, 1, 1, 1, 2, 2, 4, 0, 1, -1, 0];
        float[] inverse = new float[12];
        bool[] singular = new bool[3];
        LinearAlgebra.Inverse<float>(batch, inverse, 3, 2, singular);

        Assert.Equal([false, true, false], singular);
        Assert.Equal([1f, -1f, -1f, 2f], inverse[0..4]);
        Assert.Equal([0f, -1f, 1f, 0f], inverse[8..12]);

        float[] det = DeterminantOf(batch, 3, 2);
        Assert.Equal([1f, 0f, 1f], det);
    }

    [Fact]
    public void EigH_of_identity_gives_unit_eigenvalues_and_the_standard_basis()
    {
        const int n = 5;
        double[] identity = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            identity[i * n + i] = 1;
        }

        double[] values = new double[n];
        double[] vectors = new double[n * n];
        LinearAlgebra.EigH<double>(identity, values, vectors, 1, n);

        Assert.All(values, value => Assert.Equal(1.0, value));
        Assert.Equal(identity, vectors);
    }

    [Fact]
    public void EigH_with_a_double_eigenvalue_spans_its_eigenspace()
    {
        // [[2,1,1],[1,2,1],[1,1,2]] = I + 𝟙𝟙ᵀ: eigenvalue 1 twice (the plane ⟂ 𝟙) and 4 once, eigenvector 𝟙/√3.
        double[] matrix = [2, 1, 1, 1, 2, 1, 1, 1, 2];
        double[] values = new double[3];
        double[] vectors = new double[9];
        LinearAlgebra.EigH<double>(matrix, values, vectors, 1, 3);

        AssertClose([1, 1, 4], values, 1e-14);

        // All three components of 𝟙/√3 tie in magnitude; the convention makes the vector positive.
        double third = 1 / Math.Sqrt(3);
        AssertClose([third, third, third], [vectors[2], vectors[5], vectors[8]], 1e-15);

        // Both vectors of the double eigenvalue are orthogonal to 𝟙 and to each other, with unit length.
        for (int column = 0; column < 2; column++)
        {
            double sum = vectors[column] + vectors[3 + column] + vectors[6 + column];
            Assert.Equal(0, sum, 1e-15);
        }

        double dot = vectors[0] * vectors[1] + vectors[3] * vectors[4] + vectors[6] * vectors[7];
        Assert.Equal(0, dot, 1e-15);
    }

    [Fact]
    public void EigH_of_symmetric_2x2_with_tied_components_gives_a_deterministic_sign()
    {
        // [[2,1],[1,2]]: λ = 1 with (1, −1)/√2 and λ = 3 with (1, 1)/√2. Both components tie in
        // magnitude, so the first is made positive.
        double half = Math.Sqrt(0.5);
        double[] values = new double[2];
        double[] vectors = new double[4];
        LinearAlgebra.EigH<double>([2, 1, 1, 2], values, vectors, 1, 2);

        AssertClose([1, 3], values, 1e-15);
        AssertClose([half, half, -half, half], vectors, 1e-15);

        float[] valuesFloat = new float[2];
        float[] vectorsFloat = new float[4];
        LinearAlgebra.EigH<float>([2, 1, 1, 2], valuesFloat, vectorsFloat, 1, 2);
        AssertClose([half, half, -half, half], ToDouble(vectorsFloat), 1e-7);
    }

    [Theory]
    [InlineData(false, 5e-6, 1e-4)] // observed: 9.4e-7 and 2.1e-5
    [InlineData(true, 1e-14, 1e-12)] // observed: 2.0e-15 and 2.4e-14
    public void EigH_of_second_difference_matrix_matches_closed_form(bool inDouble, double valueTolerance, double vectorTolerance)
    {
        // The 64×64 matrix tridiag(−1, 2, −1) (the Hessian of Σ(x_i − x_(i+1))² with fixed ends) has
        // λ_k = 2 − 2·cos(kπ/(n+1)) and eigenvectors v_k(j) = √(2/(n+1))·sin(jkπ/(n+1)), k, j = 1..n.
        const int n = 64;
        double[] matrix = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            matrix[i * n + i] = 2;
            if (i > 0)
            {
                matrix[i * n + i - 1] = -1;
                matrix[(i - 1) * n + i] = -1;
            }
        }

        double[] expectedValues = new double[n];
        double[] expectedVectors = new double[n * n];
        for (int k = 1; k <= n; k++)
        {
            expectedValues[k - 1] = 2 - 2 * Math.Cos(k * Math.PI / (n + 1));
            double sign = 0;
            for (int j = 1; j <= n; j++)
            {
                double component = Math.Sqrt(2.0 / (n + 1)) * Math.Sin(j * k * Math.PI / (n + 1));
                expectedVectors[(j - 1) * n + k - 1] = component;

                // Sign convention: |v_j| = |v_(n+1−j)| ties, so the first component of largest
                // magnitude (within rounding) is made positive.
                if (sign == 0 && Math.Abs(component) >= 0.999999 * Math.Sqrt(2.0 / (n + 1)) * MaxAbsSine(k, n))
                {
                    sign = Math.Sign(component);
                }
            }

            for (int j = 0; j < n; j++)
            {
                expectedVectors[j * n + k - 1] *= sign;
            }
        }

        double[] values;
        double[] vectors;
        if (inDouble)
        {
            values = new double[n];
            vectors = new double[n * n];
            LinearAlgebra.EigH<double>(matrix, values, vectors, 1, n);
        }
        else
        {
            float[] valuesFloat = new float[n];
            float[] vectorsFloat = new float[n * n];
            LinearAlgebra.EigH<float>(ToFloat(matrix), valuesFloat, vectorsFloat, 1, n);
            values = ToDouble(valuesFloat);
            vectors = ToDouble(vectorsFloat);
        }

        AssertClose(expectedValues, values, valueTolerance);
        AssertClose(expectedVectors, vectors, vectorTolerance);
    }

    /// <summary>max over j = 1..n of |sin(jkπ/(n+1))|.</summary>
    private static double MaxAbsSine(int k, int n)
    {
        double largest = 0;
        for (int j = 1; j <= n; j++)
        {
            largest = Math.Max(largest, Math.Abs(Math.Sin(j * k * Math.PI / (n + 1))));
        }

        return largest;
    }

    [Fact]
    public void EigH_of_non_finite_input_returns_instead_of_looping()
    {
        // Kernels trust their inputs, but a NaN from upstream must surface as NaN, not hang the QL iteration.
        double[] matrix = [1, 0, 0, 0.5, double.NaN, 0, 0.25, 1, 3];
        double[] values = new double[3];
        double[] vectors = new double[9];
        LinearAlgebra.EigH<double>(matrix, values, vectors, 1, 3);

        Assert.Contains(values, double.IsNaN);
    }

    [Fact]
    public void One_by_one_matrices_give_scalar_results()
    {
        double[] lu = [-4];
        int[] pivots = new int[1];
        bool[] singular = new bool[1];
        LinearAlgebra.LuFactor<double>(lu, 1, 1, pivots, singular);
        Assert.Equal([-4.0], lu);
        Assert.Equal([0], pivots);
        Assert.False(singular[0]);

        Assert.Equal([-4.0], DeterminantOf([-4.0], 1, 1));

        double[] x = [2];
        LinearAlgebra.LuSolve<double>(lu, pivots, x, 1, 1, 1);
        Assert.Equal([-0.5], x);
        x = [2];
        LinearAlgebra.LuSolveTransposed<double>(lu, pivots, x, 1, 1, 1);
        Assert.Equal([-0.5], x);

        double[] inverse = new double[1];
        LinearAlgebra.Inverse<double>([-4.0], inverse, 1, 1, singular);
        Assert.Equal([-0.25], inverse);

        double[] values = new double[1];
        double[] vectors = new double[1];
        LinearAlgebra.EigH<double>([-4.0], values, vectors, 1, 1);
        Assert.Equal([-4.0], values);
        Assert.Equal([1.0], vectors);

        LinearAlgebra.Inverse<double>([0.0], inverse, 1, 1, singular);
        Assert.True(singular[0]);
        Assert.Equal([0.0], DeterminantOf([0.0], 1, 1));
    }

    [Fact]
    public void Zero_by_zero_matrices_are_regular_with_determinant_one()
    {
        // A batch of two empty matrices: torch.linalg.det(torch.empty(2, 0, 0)) is [1., 1.].
        bool[] singular = [true, true];
        LinearAlgebra.LuFactor<double>([], 2, 0, [], singular);
        Assert.Equal([false, false], singular);

        Assert.Equal([1.0, 1.0], DeterminantOf<double>([], 2, 0));

        singular = [true, true];
        LinearAlgebra.Inverse<double>([], [], 2, 0, singular);
        Assert.Equal([false, false], singular);

        LinearAlgebra.LuSolve<double>([], [], [], 2, 0, 3);
        LinearAlgebra.LuSolveTransposed<double>([], [], [], 2, 0, 3);
        LinearAlgebra.EigH<double>([], [], [], 2, 0);
    }

    /// <summary>Factors a copy of the matrices and returns their determinants.</summary>
    private static T[] DeterminantOf<T>(T[] matrices, int batch, int n)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        T[] lu = (T[])matrices.Clone();
        int[] pivots = new int[batch * n];
        bool[] singular = new bool[batch];
        T[] det = new T[batch];
        LinearAlgebra.LuFactor<T>(lu, batch, n, pivots, singular);
        LinearAlgebra.Determinant<T>(lu, pivots, det, batch, n);
        return det;
    }

    private static float[] ToFloat(double[] values) => Array.ConvertAll(values, value => (float)value);

    private static double[] ToDouble(float[] values) => Array.ConvertAll(values, value => (double)value);

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(expected[i] - actual[i]);
            Assert.True(error <= tolerance, $"element {i}: expected {expected[i]:R}, got {actual[i]:R} (|error| {error:E2} > {tolerance:E2})");
        }
    }
}
