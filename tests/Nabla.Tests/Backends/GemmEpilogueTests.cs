using System.Collections.Concurrent;
using System.Numerics;
using Nabla.Backends.Cpu;
using Nabla.Jit;

namespace Nabla.Tests.Backends;

/// <summary>
/// The GEMM's store epilogue, C = act(A·B (+ C) + bias): every activation, with and without a bias, on every kernel path
/// this CPU supports, against the scalar reference product followed by the activation's definition in float64.
/// </summary>
public unsafe class GemmEpilogueTests
{
    private static readonly ConcurrentDictionary<(Type, int, int, int, bool), object> Products = new();

    /// <summary>Shapes that reach every store: full and ragged tiles, several depth blocks, both parallel schemes, an empty depth.</summary>
    private static readonly (int M, int N, int K, bool Accumulate, int Threads)[] Shapes =
    [
        (13, 17, 5, false, 1),      // ragged rows and a ragged last panel (the edge tile)
        (30, 96, 20, true, 1),      // accumulate; last panel of whole vectors read in place
        (70, 90, 1100, false, 2),   // two depth blocks: the epilogue only on the last
        (8, 1000, 150, false, 2),   // too few rows to share B: the column split, bias offset per range
        (257, 129, 300, false, 2),  // rows shared over a packed B
        (5, 11, 0, true, 1),        // empty depth: C (+ bias), then the activation
    ];

    public static TheoryData<string, string, bool, int> Cases()
    {
        var data = new TheoryData<string, string, bool, int>();
        foreach (var isa in CpuFeatures.Supported)
        {
            foreach (var activation in Enum.GetValues<GemmActivation>())
            {
                foreach (bool bias in new[] { false, true })
                {
                    for (int shape = 0; shape < Shapes.Length; shape++)
                    {
                        data.Add(isa.ToString(), activation.ToString(), bias, shape);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sgemm_epilogue_matches_reference_then_activation(string isa, string activation, bool bias, int shape) =>
        Check<float>(Enum.Parse<CpuIsa>(isa), Enum.Parse<GemmActivation>(activation), bias, Shapes[shape]);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Dgemm_epilogue_matches_reference_then_activation(string isa, string activation, bool bias, int shape) =>
        Check<double>(Enum.Parse<CpuIsa>(isa), Enum.Parse<GemmActivation>(activation), bias, Shapes[shape]);

    [Theory]
    [InlineData("Relu", 37)]
    [InlineData("Sigmoid", 37)]
    [InlineData("Tanh", 37)]
    [InlineData("Relu", 1)]    // batch 1 and 2 run as matrix–vector products, the epilogue after them
    [InlineData("Sigmoid", 2)]
    [InlineData("Tanh", 1)]
    public void Fused_linear_node_equals_linear_then_activation(string activation, int batch)
    {
        var x = Tensor.Randn([batch, 50], generator: new Generator(11));
        var weight = Tensor.Randn([23, 50], generator: new Generator(12));
        var bias = Tensor.Randn([23], generator: new Generator(13));
        var expected = GraphInterpreter.Activation(Nabla.NN.Functional.Linear(x, weight, bias), activation);
        Tensor fused;
        using (Autograd.NoGrad())
        {
            fused = FusedKernels.LinearActivation(x, weight, bias, activation);
        }

        Assert.True(fused.AllClose(expected, rtol: 1e-5, atol: 1e-6), $"{activation}: fused linear differs from Linear then {activation}");
    }

    [Fact]
    public void Addmm_with_activation_keeps_the_gradient_when_autograd_records()
    {
        var x = Tensor.Randn([6, 4], dtype: DType.Float64, generator: new Generator(21)).RequiresGrad_();
        var weight = Tensor.Randn([3, 4], dtype: DType.Float64, generator: new Generator(22)).RequiresGrad_();
        var bias = Tensor.Randn([3], dtype: DType.Float64, generator: new Generator(23)).RequiresGrad_();
        Tensor.Addmm(x, weight, bias, GemmActivation.Tanh).Sum().Backward();
        var fusedGrad = (X: x.Grad!.Clone(), W: weight.Grad!.Clone(), B: bias.Grad!.Clone());
        x.Grad = null;
        weight.Grad = null;
        bias.Grad = null;
        Nabla.NN.Functional.Linear(x, weight, bias).Tanh().Sum().Backward();
        Assert.True(fusedGrad.X.AllClose(x.Grad!, rtol: 1e-12, atol: 1e-12));
        Assert.True(fusedGrad.W.AllClose(weight.Grad!, rtol: 1e-12, atol: 1e-12));
        Assert.True(fusedGrad.B.AllClose(bias.Grad!, rtol: 1e-12, atol: 1e-12));
    }

    private static void Check<T>(CpuIsa isa, GemmActivation activation, bool withBias, (int M, int N, int K, bool Accumulate, int Threads) shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (m, n, k, accumulate, threads) = shape;
        long ldc = n + 3; // padded rows: the padding must stay untouched
        var random = new Random(2000 + (m * 31) + (n * 7) + k);
        T[] a = RandomArray<T>(random, Math.Max(1, m * k), 1);
        T[] b = RandomArray<T>(random, Math.Max(1, k * n), 1);
        T[] c = RandomArray<T>(random, (m * ldc) + 1, 1);
        T[] bias = RandomArray<T>(random, n, 2);

        // The reference product is the slow part: once per shape, shared by every path and activation.
        var (product, magnitude) = (ValueTuple<T[], double[]>)Products.GetOrAdd((typeof(T), m, n, k, accumulate), _ =>
        {
            T[] result = (T[])c.Clone();
            double[] scale = new double[m * n];
            fixed (T* pa = a, pb = b, pe = result)
            {
                GemmReference.Gemm(m, n, k, pa, k, 1, pb, n, 1, pe, ldc, accumulate, scale);
            }

            return (result, scale);
        });

        fixed (T* pa = a, pb = b, pc = c, pbias = bias)
        {
            if (typeof(T) == typeof(float))
            {
                Gemm.Sgemm(isa, threads, m, n, k, (float*)pa, k, 1, (float*)pb, n, 1, (float*)pc, ldc, accumulate,
                    epilogue: new GemmEpilogue<float>(withBias ? (float*)pbias : null, activation));
            }
            else
            {
                Gemm.Dgemm(isa, threads, m, n, k, (double*)pa, k, 1, (double*)pb, n, 1, (double*)pc, ldc, accumulate,
                    epilogue: new GemmEpilogue<double>(withBias ? (double*)pbias : null, activation));
            }
        }

        double epsilon = double.CreateTruncating(T.BitIncrement(T.One) - T.One);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < (int)ldc; j++)
            {
                long at = (i * ldc) + j;
                double got = double.CreateTruncating(c[at]);
                if (j >= n)
                {
                    Assert.True(got == double.CreateTruncating(product[at]), $"padding C[{i},{j}] was overwritten");
                    continue;
                }

                double sum = double.CreateTruncating(product[at]) + (withBias ? double.CreateTruncating(bias[j]) : 0);
                double want = Activate(activation, sum);
                // The product's rounding (as GemmTests), carried through an activation of slope ≤ 1.13, plus the activation's own.
                double tolerance = (1.2 * (k + 4) * epsilon * (magnitude[(i * n) + j] + Math.Abs(sum) + 2)) + (16 * epsilon * (1 + Math.Abs(want)));
                Assert.True(
                    Math.Abs(got - want) <= tolerance,
                    $"{isa}, {activation}, bias {withBias}, {m}×{n}×{k}: C[{i},{j}] = {got}, expected {want}");
            }
        }
    }

    /// <summary>The activations' definitions, in float64.</summary>
    private static double Activate(GemmActivation activation, double x) => activation switch
    {
        GemmActivation.Relu => Math.Max(x, 0),
        GemmActivation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        GemmActivation.Tanh => Math.Tanh(x),
        GemmActivation.Gelu => x * 0.5 * (1 + RowOps.ErrorFunction(x / Math.Sqrt(2))),
        _ => x,
    };

    private static T[] RandomArray<T>(Random random, long length, double scale)
        where T : INumber<T>
    {
        var values = new T[length];
        for (long i = 0; i < length; i++)
        {
            values[i] = T.CreateTruncating(((random.NextDouble() * 2) - 1) * scale);
        }

        return values;
    }
}
