using System.Numerics;
using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>The GEMM with a pre-packed right operand, on every kernel path and 1 or 2 threads, against the scalar reference.</summary>
public unsafe class PackedMatrixTests
{
    private static readonly (int M, int K, int N, bool TransposedB, bool Accumulate)[] Shapes =
    [
        (1, 1, 1, false, false),
        (2, 5, 20, true, false),       // fewer rows than a tile, a ragged panel
        (7, 3, 12, true, true),
        (32, 256, 1024, true, true),   // the LSTM step: [N, H] × W_hhᵀ
        (32, 1024, 256, false, false), // its backward: d gates × W_hh
        (13, 70, 130, false, true),
        (6, 64, 64, false, false),     // exactly one full tile
        (40, 33, 97, true, false),
    ];

    public static TheoryData<string, int, int, int, int, bool, bool> Cases()
    {
        var data = new TheoryData<string, int, int, int, int, bool, bool>();
        foreach (var isa in CpuFeatures.Supported)
            foreach (int threads in new[] { 1, 2 })
                foreach (var (m, k, n, transposed, accumulate) in Shapes)
                    data.Add(isa.ToString(), threads, m, k, n, transposed, accumulate);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float32_product_matches_reference(string isa, int threads, int m, int k, int n, bool transposedB, bool accumulate) =>
        Check<float>(Enum.Parse<CpuIsa>(isa), threads, m, k, n, transposedB, accumulate, 1e-5);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float64_product_matches_reference(string isa, int threads, int m, int k, int n, bool transposedB, bool accumulate) =>
        Check<double>(Enum.Parse<CpuIsa>(isa), threads, m, k, n, transposedB, accumulate, 1e-12);

    [Fact]
    public void Multiply_after_dispose_is_rejected()
    {
        float[] b = [1, 2, 3, 4];
        float[] a = [1, 1];
        float[] c = new float[2];
        PackedMatrix<float> packed;
        fixed (float* pb = b)
            packed = new PackedMatrix<float>(pb, 2, 2, 2, 1);
        Assert.Equal([2, 2], new[] { packed.Rows, packed.Columns });
        fixed (float* pa = a, pc = c)
        {
            packed.Multiply(1, pa, 2, pc, 2, accumulate: false);
            Assert.Equal([4f, 6f], c); // [1 1] · [[1 2] [3 4]]
            packed.Dispose();
            nint address = (nint)pa, target = (nint)pc;
            Assert.Throws<ObjectDisposedException>(() => packed.Multiply(1, (float*)address, 2, (float*)target, 2, accumulate: false));
        }
    }

    private static void Check<T>(CpuIsa isa, int threads, int m, int k, int n, bool transposedB, bool accumulate, double tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(m * 1000 + k * 10 + n);
        T[] Random(int length) => [.. Enumerable.Range(0, length).Select(_ => T.CreateTruncating(random.NextDouble() * 2 - 1))];
        int lda = k + 2, ldc = n + 3; // padded rows: the padding must stay untouched
        T[] a = Random(m * lda), b = Random(k * n), c = Random(m * ldc);
        T[] expected = (T[])c.Clone();
        // B is [k, n]; stored transposed ([n, k] row-major) it is W for a product with Wᵀ.
        long bRowStride = transposedB ? 1 : n, bColStride = transposedB ? k : 1;
        fixed (T* pa = a, pb = b, pc = c, pe = expected)
        {
            GemmReference.Gemm(m, n, k, pa, lda, 1, pb, bRowStride, bColStride, pe, ldc, accumulate);
            using var packed = new PackedMatrix<T>(isa, pb, k, n, bRowStride, bColStride);
            packed.Multiply(m, pa, lda, pc, ldc, accumulate, threads);
        }
        for (int i = 0; i < c.Length; i++)
        {
            double scale = 1 + Math.Abs(double.CreateTruncating(expected[i]));
            Assert.True(Math.Abs(double.CreateTruncating(c[i] - expected[i])) <= tolerance * scale * Math.Max(1, k / 16.0),
                $"{isa}, {threads} threads, m={m} k={k} n={n}: element {i} is {c[i]}, expected {expected[i]}");
        }
    }
}
