using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.InteropServices;
using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>Every GEMM kernel path this CPU supports, on 1 and 2 threads, against the scalar reference.</summary>
public unsafe class GemmTests
{
    /// <summary>How an operand is laid out in memory; the GEMM must see only its strides.</summary>
    public enum Layout
    {
        RowMajor,
        TransposedA,
        TransposedB,
        TransposedBoth,
        Strided,
    }

    private static readonly ConcurrentDictionary<(Type, int, int, int, Layout, bool), object> References = new();

    private static readonly (int M, int N, int K, Layout Layout, bool Accumulate)[] Shapes =
    [
        (1, 1, 1, Layout.RowMajor, false),
        (13, 17, 5, Layout.RowMajor, false),
        (30, 96, 20, Layout.RowMajor, false),     // last panel of whole vectors, read in place
        (19, 80, 33, Layout.TransposedA, true),
        (64, 64, 64, Layout.RowMajor, false),
        (100, 100, 100, Layout.RowMajor, true),
        (257, 129, 300, Layout.RowMajor, false),
        (24, 64, 128, Layout.RowMajor, true),     // kc = the kernels' C-prefetch distance: C fetched before the first k
        (18, 128, 129, Layout.RowMajor, false),   // one k before C is fetched
        (70, 90, 1100, Layout.RowMajor, true),    // several kc blocks
        (8, 1000, 150, Layout.RowMajor, false),   // too few rows to share B: the column split
        (12, 2100, 40, Layout.RowMajor, false),   // several nc blocks
        (37, 53, 29, Layout.TransposedA, false),
        (37, 53, 29, Layout.TransposedB, false),
        (101, 97, 110, Layout.TransposedBoth, true),
        (70, 150, 600, Layout.TransposedB, true),  // transposed B in 8 × 8 blocks, two kc blocks, ragged edges
        (45, 71, 33, Layout.Strided, false),
        (130, 70, 120, Layout.Strided, true),
    ];

    public static TheoryData<string, int, int, int, int, Layout, bool> Cases()
    {
        var data = new TheoryData<string, int, int, int, int, Layout, bool>();
        foreach (var isa in CpuFeatures.Supported)
        {
            foreach (int threads in new[] { 1, 2 })
            {
                foreach (var (m, n, k, layout, accumulate) in Shapes)
                {
                    data.Add(isa.ToString(), threads, m, n, k, layout, accumulate);
                }
            }
        }

        return data;
    }

    /// <summary>Products too large to read in place, with a row-major A, which a machine either packs or reads in place.</summary>
    private static readonly (int M, int N, int K, Layout Layout, bool Accumulate)[] LargeRowMajorAShapes =
    [
        (1200, 64, 1100, Layout.RowMajor, false),   // over 4 MiB: B packed
        (300, 1100, 1030, Layout.RowMajor, true),   // two kc blocks, B packed by ranges of rows, a last panel of 12 columns
        (40, 1100, 1200, Layout.TransposedB, true), // transposed B packed in 8 × 8 blocks
        (200, 1100, 1000, Layout.RowMajor, false),  // kc = 1,000: the next panel fetched in 16-deep steps, a short last one
    ];

    public static TheoryData<string, int, int, int, int, Layout, bool, bool> LargeRowMajorACases()
    {
        var data = new TheoryData<string, int, int, int, int, Layout, bool, bool>();
        foreach (var isa in CpuFeatures.Supported)
        {
            foreach (int threads in new[] { 1, 2 })
            {
                foreach (var (m, n, k, layout, accumulate) in LargeRowMajorAShapes)
                {
                    data.Add(isa.ToString(), threads, m, n, k, layout, accumulate, false);
                    data.Add(isa.ToString(), threads, m, n, k, layout, accumulate, true);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LargeRowMajorACases))]
    public void Sgemm_packing_or_reading_A_in_place_matches_reference(
        string isa, int threads, int m, int n, int k, Layout layout, bool accumulate, bool readAInPlace) =>
        CheckAgainstReference<float>(Enum.Parse<CpuIsa>(isa), threads, m, n, k, layout, accumulate, readAInPlace);

    [Theory]
    [MemberData(nameof(LargeRowMajorACases))]
    public void Dgemm_packing_or_reading_A_in_place_matches_reference(
        string isa, int threads, int m, int n, int k, Layout layout, bool accumulate, bool readAInPlace) =>
        CheckAgainstReference<double>(Enum.Parse<CpuIsa>(isa), threads, m, n, k, layout, accumulate, readAInPlace);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sgemm_matches_reference(string isa, int threads, int m, int n, int k, Layout layout, bool accumulate) =>
        CheckAgainstReference<float>(Enum.Parse<CpuIsa>(isa), threads, m, n, k, layout, accumulate);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Dgemm_matches_reference(string isa, int threads, int m, int n, int k, Layout layout, bool accumulate) =>
        CheckAgainstReference<double>(Enum.Parse<CpuIsa>(isa), threads, m, n, k, layout, accumulate);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sgemm_with_k_zero_sets_C_to_zero_or_leaves_it(bool accumulate)
    {
        float[] c = [1, 2, 3, 4, 5, 6];
        float a = 0, b = 0;
        fixed (float* pc = c)
        {
            Gemm.Sgemm(2, 3, 0, &a, 0, 1, &b, 3, 1, pc, 3, accumulate);
        }

        Assert.Equal(accumulate ? [1, 2, 3, 4, 5, 6] : new float[6], c);
    }

    [Fact]
    public void Gemm_with_m_or_n_zero_writes_nothing()
    {
        double[] c = [7, 7, 7];
        double[] a = [1, 2, 3];
        fixed (double* pa = a, pc = c)
        {
            Gemm.Dgemm(0, 3, 1, pa, 1, 1, pa, 3, 1, pc, 3, false);
            Gemm.Dgemm(3, 0, 1, pa, 1, 1, pa, 0, 1, pc, 1, false);
        }

        Assert.Equal([7, 7, 7], c);
    }

    [Fact]
    public void Sgemm_2x2_gives_the_textbook_product()
    {
        float[] a = [1, 2, 3, 4];
        float[] b = [5, 6, 7, 8];
        float[] c = new float[4];
        fixed (float* pa = a, pb = b, pc = c)
        {
            Gemm.Sgemm(2, 2, 2, pa, 2, 1, pb, 2, 1, pc, 2, false);
        }

        Assert.Equal([19, 22, 43, 50], c);
    }

    [Fact]
    public void Unsupported_path_is_rejected()
    {
        if (CpuFeatures.Best == CpuIsa.Avx512)
        {
            return; // nothing above the best path to ask for
        }

        float* x = stackalloc float[1];
        nint address = (nint)x;
        Assert.Throws<ArgumentException>(() =>
        {
            float* p = (float*)address;
            Gemm.Sgemm(CpuIsa.Avx512, 1, 1, 1, 1, p, 1, 1, p, 1, 1, p, 1, false);
        });
    }

    private static void CheckAgainstReference<T>(
        CpuIsa isa, int threads, int m, int n, int k, Layout layout, bool accumulate, bool? readAInPlace = null)
        where T : unmanaged, INumber<T>, IFloatingPointIeee754<T>
    {
        var (aRowStride, aColStride, aLength) = Strides(m, k, layout is Layout.TransposedA or Layout.TransposedBoth, layout == Layout.Strided);
        var (bRowStride, bColStride, bLength) = Strides(k, n, layout is Layout.TransposedB or Layout.TransposedBoth, layout == Layout.Strided);
        long ldc = n + 3; // padded rows: the padding must stay untouched
        var random = new Random(1000 + (m * 31) + (n * 7) + k);
        T[] a = RandomArray<T>(random, aLength);
        T[] b = RandomArray<T>(random, bLength);
        T[] c = RandomArray<T>(random, Math.Max(1, (m * ldc) + 1));

        // The reference is the slow part: computed once per case and shared by every path and thread count.
        var (expected, magnitude) = (ValueTuple<T[], double[]>)References.GetOrAdd((typeof(T), m, n, k, layout, accumulate), _ =>
        {
            T[] result = (T[])c.Clone();
            double[] scale = new double[m * n];
            fixed (T* pa = a, pb = b, pe = result)
            {
                GemmReference.Gemm(m, n, k, pa, aRowStride, aColStride, pb, bRowStride, bColStride, pe, ldc, accumulate, scale);
            }

            return (result, scale);
        });

        fixed (T* pa = a, pb = b, pc = c)
        {
            if (typeof(T) == typeof(float))
            {
                Gemm.Sgemm(isa, threads, m, n, k, (float*)pa, aRowStride, aColStride, (float*)pb, bRowStride, bColStride, (float*)pc, ldc, accumulate, readAInPlace);
            }
            else
            {
                Gemm.Dgemm(isa, threads, m, n, k, (double*)pa, aRowStride, aColStride, (double*)pb, bRowStride, bColStride, (double*)pc, ldc, accumulate, readAInPlace);
            }
        }

        // A sum of k products rounds to within about k·ε·Σ|products| (plus |C| when accumulating).
        double epsilon = double.CreateTruncating(Epsilon<T>());
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < (int)ldc; j++)
            {
                long at = (i * ldc) + j;
                double got = double.CreateTruncating(c[at]);
                double want = double.CreateTruncating(expected[at]);
                if (j >= n)
                {
                    Assert.True(got == want, $"padding C[{i},{j}] was overwritten");
                    continue;
                }

                double tolerance = ((k + 4) * epsilon * (magnitude[(i * n) + j] + Math.Abs(want))) + 1e-30;
                Assert.True(
                    Math.Abs(got - want) <= tolerance,
                    $"{isa}, {threads} threads, {m}×{n}×{k} {layout}: C[{i},{j}] = {got}, reference {want}");
            }
        }
    }

    /// <summary>Machine epsilon of T (the gap between 1 and the next value).</summary>
    private static T Epsilon<T>()
        where T : IFloatingPointIeee754<T> => T.BitIncrement(T.One) - T.One;

    /// <summary>Strides of a rows×cols operand: row-major, column-major, or every other element of padded rows.</summary>
    private static (long RowStride, long ColStride, int Length) Strides(int rows, int cols, bool transposed, bool strided)
    {
        if (strided)
        {
            long rowStride = (2L * cols) + 5;
            return (rowStride, 2, (int)Math.Max(1, rows * rowStride));
        }

        return transposed ? (1, rows, Math.Max(1, rows * cols)) : (cols, 1, Math.Max(1, rows * cols));
    }

    private static T[] RandomArray<T>(Random random, long length)
        where T : INumber<T>
    {
        var values = new T[length];
        for (long i = 0; i < length; i++)
        {
            values[i] = T.CreateTruncating((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}
