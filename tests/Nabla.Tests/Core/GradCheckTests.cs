namespace Nabla.Tests.Core;

/// <summary>Every differentiable op passes a float64 finite-difference gradient check.</summary>
public class GradCheckTests
{
    static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64, new Generator(shape.Sum() * 7 + shape.Length)).RequiresGrad_();
    static Tensor Positive(params int[] shape) => (Tensor.Rand(shape, DType.Float64, new Generator(11)) + 0.5).Detach().RequiresGrad_();

    public static TheoryData<string> UnaryOps => new(Unary.Keys);
    public static TheoryData<string> BinaryOps => new(Binary.Keys);
    public static TheoryData<string> ShapeOps => new(Shapes.Keys);

    static readonly Dictionary<string, Func<Tensor, Tensor>> Unary = new()
    {
        ["neg"] = x => -x,
        ["exp"] = x => x.Exp(),
        ["log"] = x => x.Abs().Add(0.5).Log(),
        ["log1p"] = x => x.Abs().Log1p(),
        ["sqrt"] = x => (x * x + 0.3).Sqrt(),
        ["abs"] = x => x.Abs(),
        ["pow_scalar"] = x => x.Pow(3),
        ["pow_fractional"] = x => (x * x + 0.5).Pow(1.5),
        ["clamp"] = x => x.Clamp(-0.5, 0.5),
        ["sigmoid"] = x => x.Sigmoid(),
        ["tanh"] = x => x.Tanh(),
        ["relu"] = x => x.Relu(),
        ["leaky_relu"] = x => x.LeakyRelu(0.1),
        ["elu"] = x => x.Elu(0.7),
        ["gelu"] = x => x.Gelu(),
        ["gelu_tanh"] = x => x.Gelu("tanh"),
        ["softplus"] = x => x.Softplus(2, 3),
        ["mish"] = x => x.Mish(),
        ["sin"] = x => x.Sin(),
        ["cos"] = x => x.Cos(),
        ["erf"] = x => x.Erf(),
        ["sum_dim"] = x => x.Sum(1),
        ["sum_keepdim"] = x => x.Sum([0], keepDim: true),
        ["mean"] = x => x.Mean(-1),
        ["prod"] = x => x.Prod(1),
        ["prod_all"] = x => x.Prod(),
        ["max_dim"] = x => x.Max(1).Values,
        ["min_all"] = x => x.Min(),
        ["var"] = x => x.Var(1),
        ["std_biased"] = x => x.Std([0, 1], unbiased: false),
        ["norm2"] = x => x.Norm(),
        ["norm1_dim"] = x => x.Norm(1, [1]),
        ["norm_inf"] = x => x.Norm(double.PositiveInfinity, [1]),
        ["logsumexp"] = x => x.LogSumExp(1),
        ["cumsum"] = x => x.CumSum(1),
        ["softmax"] = x => x.Softmax(1),
        ["softmax_dim0"] = x => x.Softmax(0),
        ["log_softmax"] = x => x.LogSoftmax(-1),
        ["matmul_self_t"] = x => x.MatMul(x.T),
        ["flip"] = x => x.Flip(1),
    };

    static readonly Dictionary<string, Func<Tensor, Tensor, Tensor>> Binary = new()
    {
        ["add"] = (a, b) => a + b,
        ["add_alpha"] = (a, b) => a.Add(b, alpha: 2.5),
        ["sub"] = (a, b) => a - b,
        ["mul"] = (a, b) => a * b,
        ["div"] = (a, b) => a / (b * b + 0.5),
        ["pow"] = (a, b) => (a * a + 0.5).Pow(b),
        ["maximum"] = (a, b) => a.Maximum(b),
        ["minimum"] = (a, b) => a.Minimum(b),
        ["where"] = (a, b) => Tensor.Where(a.Gt(0), a, b),
        ["matmul"] = (a, b) => a.MatMul(b.T),
        ["matmul_batched_broadcast"] = (a, b) => a.Reshape(3, 1, 4).Expand(3, 2, 4).MatMul(b.T.Reshape(4, 3)),
        ["cat"] = (a, b) => Tensor.Cat([a, b], 1),
        ["stack"] = (a, b) => Tensor.Stack([a, b], 0),
    };

    static readonly Dictionary<string, Func<Tensor, Tensor>> Shapes = new()
    {
        ["view"] = x => x.View(4, 3) * 2,
        ["transpose_contiguous"] = x => x.Transpose(0, 1).Contiguous() * 3,
        ["permute"] = x => x.Reshape(3, 2, 2).Permute(2, 0, 1) * 1.5,
        ["slice_step"] = x => x.Slice(1, 0, 4, 2) * 2,
        ["narrow"] = x => x.Narrow(0, 1, 2),
        ["select"] = x => x.Select(1, -1),
        ["indexer_range"] = x => x[.., 1..^1],
        ["indexer_int_tensor"] = x => x[Tensor.From(new long[] { 2, 0, 2 })],
        ["indexer_mask"] = x => x[x.Detach().Gt(0)],
        ["squeeze_unsqueeze"] = x => x.Unsqueeze(0).Unsqueeze(-1).Squeeze(),
        ["expand"] = x => x[0..1].Expand(5, 4),
        ["repeat"] = x => x.Repeat(2, 1, 2),
        ["gather"] = x => x.Gather(1, Tensor.From(new long[] { 0, 3, 3, 1, 2, 0 }, 3, 2)),
        ["scatter_add"] = x => Tensor.Zeros([3, 5], DType.Float64).ScatterAdd(1, Tensor.From(new long[] { 0, 1, 1, 4, 2, 2, 0, 3, 4, 4, 1, 0 }, 3, 4), x),
        ["index_select"] = x => x.IndexSelect(1, Tensor.From(new long[] { 3, 0, 0 })),
        ["masked_fill"] = x => x.MaskedFill(x.Detach().Lt(0), 0.25),
        ["split"] = x => x.Split(3, 1)[1] * 2,
        ["chunk"] = x => x.Chunk(2, 0)[0] * 2,
        ["flatten"] = x => x.Flatten(),
    };

    [Theory, MemberData(nameof(UnaryOps))]
    public void Unary_op_passes_gradcheck(string name) =>
        Assert.True(Autograd.GradCheck(x => Unary[name](x[0]), [R(3, 4)]));

    [Theory, MemberData(nameof(BinaryOps))]
    public void Binary_op_passes_gradcheck(string name) =>
        Assert.True(Autograd.GradCheck(x => Binary[name](x[0], x[1]), [R(3, 4), R(3, 4)]));

    [Theory, MemberData(nameof(ShapeOps))]
    public void Shape_op_passes_gradcheck(string name) =>
        Assert.True(Autograd.GradCheck(x => Shapes[name](x[0]), [R(3, 4)]));

    [Fact]
    public void Float32_round_trip_passes_gradcheck_at_float32_resolution() =>
        Assert.True(Autograd.GradCheck(x => x[0].To(DType.Float32).To(DType.Float64) * 1, [R(3, 4)], eps: 1e-2, atol: 1e-3));

    [Fact]
    public void Broadcast_binary_ops_pass_gradcheck()
    {
        Assert.True(Autograd.GradCheck(x => x[0] * x[1] + x[1] / (x[0] * x[0] + 1), [R(2, 1, 4), R(3, 1)]));
    }

    [Fact]
    public void Linalg_ops_pass_gradcheck()
    {
        var a = (R(3, 3) + Tensor.Eye(3, dtype: DType.Float64) * 3).Detach().RequiresGrad_();
        Assert.True(Autograd.GradCheck(x => Linalg.Inv(x[0]), [a]));
        Assert.True(Autograd.GradCheck(x => Linalg.Det(x[0]), [a]));
        Assert.True(Autograd.GradCheck(x => Linalg.Solve(x[0], x[1]), [a, R(3, 2)]));
        Assert.True(Autograd.GradCheck(x => Linalg.Solve(x[0], x[1]), [a, R(3)]));
        // EigH reads the lower triangle, so check it on a symmetric parametrisation.
        Assert.True(Autograd.GradCheck(x => { var s = (x[0] + x[0].T) * 0.5; var (l, v) = Linalg.EigH(s); return l.Sum() + (v * v * l).Sum() + v.Abs().Sum(); }, [R(3, 3)]));
    }

    [Fact]
    public void Double_backward_through_composition_matches_analytic_second_derivative()
    {
        // f(x) = sin(x)·x²: f'' = −sin(x)x² + 4x cos(x) + 2 sin(x)
        var x = Tensor.From(new double[] { 0.3, -1.2, 2.0 }).RequiresGrad_();
        var y = (x.Sin() * x * x).Sum();
        var g = Autograd.Grad(y, x, createGraph: true);
        var h = Autograd.Grad(g.Sum(), x);
        var xv = x.ToArray<double>();
        var expected = xv.Select(v => -Math.Sin(v) * v * v + 4 * v * Math.Cos(v) + 2 * Math.Sin(v)).ToArray();
        Assert.True(h.AllClose(Tensor.From(expected), rtol: 1e-12));
    }
}

/// <summary>The fused first-order activation gradients equal the composite formulas used under createGraph.</summary>
public class FusedActivationGradientTests
{
    [Theory]
    [InlineData("sigmoid")]
    [InlineData("tanh")]
    [InlineData("relu")]
    [InlineData("leaky_relu")]
    public void Fused_gradient_equals_composite_gradient(string name)
    {
        Func<Tensor, Tensor> f = name switch { "sigmoid" => x => x.Sigmoid(), "tanh" => x => x.Tanh(), "leaky_relu" => x => x.LeakyRelu(0.2), _ => x => x.Relu() };
        // [300, 250] runs in chunks on the worker pool, with a partial last chunk.
        foreach (var (dtype, rows, cols) in new[] { (DType.Float32, 37, 5), (DType.Float64, 37, 5), (DType.Float32, 300, 250), (DType.Float64, 300, 250) })
        {
            var x = Tensor.Randn([rows, cols], dtype, new Generator(9)).RequiresGrad_();
            var g = Tensor.Randn([rows, cols], dtype, new Generator(10));
            var fused = Autograd.Grad([f(x)], [x], [g])[0]!;                         // first order: fused kernel
            var composite = Autograd.Grad([f(x)], [x], [g], createGraph: true)[0]!;   // recorded: tensor-op formula
            Assert.True(fused.AllClose(composite.Detach(), rtol: 1e-6, atol: 1e-7), $"{name} {dtype}");
        }
    }
}
