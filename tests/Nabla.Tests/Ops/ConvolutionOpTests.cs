using Nabla.NN;

namespace Nabla.Tests.Ops;

/// <summary>Conv2d, ConvTranspose2d and Conv1d ops: finite-difference gradients (first and second order), layouts, errors.</summary>
public class ConvolutionOpTests
{
    static Tensor Randn(int seed, params int[] shape) => Tensor.Randn(shape, DType.Float64, new Generator(seed), requiresGrad: true);

    [Fact]
    public void Conv2d_gradcheck_input_weight_bias_stride_padding_dilation_groups()
    {
        var x = Randn(1, 1, 4, 4, 3);
        var w = Randn(2, 2, 2, 3, 2);
        var b = Randn(3, 2);
        Assert.True(Autograd.GradCheck(t => Tensor.Conv2d(t[0], t[1], t[2], stride: (2, 1), padding: 1, dilation: (1, 2), groups: 2), [x, w, b]));
    }

    [Fact]
    public void ConvTranspose2d_gradcheck_with_output_padding_and_groups()
    {
        var x = Randn(4, 1, 4, 3, 3);
        var w = Randn(5, 4, 1, 3, 2);
        var b = Randn(6, 2);
        Assert.True(Autograd.GradCheck(t => Tensor.ConvTranspose2d(t[0], t[1], t[2], stride: 2, padding: 1, outputPadding: (1, 0), groups: 2), [x, w, b]));
    }

    [Fact]
    public void Conv1d_gradcheck()
    {
        var x = Randn(7, 2, 2, 7);
        var w = Randn(8, 3, 2, 3);
        var b = Randn(9, 3);
        Assert.True(Autograd.GradCheck(t => Tensor.Conv1d(t[0], t[1], t[2], stride: 2, padding: 1, dilation: 2), [x, w, b]));
    }

    /// <summary>Second order: the gradients of Σ conv(x, W)² with respect to x and W, differentiated again.</summary>
    [Fact]
    public void Conv2d_double_backward_gradcheck()
    {
        var x = Randn(10, 1, 2, 4, 4);
        var w = Randn(11, 2, 1, 2, 2);
        var b = Randn(12, 2);
        Assert.True(Autograd.GradCheck(inputs =>
        {
            var t = PoolingOpTests.Differentiable(inputs);
            using var grad = Autograd.EnableGrad();
            var loss = Tensor.Conv2d(t[0], t[1], t[2], stride: 2, padding: 1, groups: 2).Pow(2).Sum();
            var grads = Autograd.Grad([loss], [t[0], t[1], t[2]], createGraph: true);
            return Tensor.Cat([grads[0]!.Flatten(), grads[1]!.Flatten(), grads[2]!.Flatten()]);
        }, [x, w, b]));
    }

    [Fact]
    public void ConvTranspose2d_double_backward_gradcheck()
    {
        var x = Randn(13, 1, 2, 3, 2);
        var w = Randn(14, 2, 2, 2, 2);
        Assert.True(Autograd.GradCheck(inputs =>
        {
            var t = PoolingOpTests.Differentiable(inputs);
            using var grad = Autograd.EnableGrad();
            var loss = Tensor.ConvTranspose2d(t[0], t[1], stride: 2, padding: 1, outputPadding: 1).Pow(2).Sum();
            var grads = Autograd.Grad([loss], [t[0], t[1]], createGraph: true);
            return Tensor.Cat([grads[0]!.Flatten(), grads[1]!.Flatten()]);
        }, [x, w]));
    }

    [Fact]
    public void Conv2d_hessian_of_weight_matches_analytic_gram_matrix()
    {
        // L(W) = ½ Σ conv(x, W)² is quadratic in W: its Hessian is Σ_patches p pᵀ = colᵀ·col.
        var x = Randn(15, 1, 1, 3, 3).Detach();
        var hessian = Autograd.Hessian(w => Tensor.Conv2d(x, w.View(1, 1, 2, 2)).Pow(2).Sum() * 0.5, Tensor.Zeros([4], DType.Float64));
        var patches = new double[4, 4];
        var v = x.ToArray<double>();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
            {
                double[] p = [v[i * 3 + j], v[i * 3 + j + 1], v[(i + 1) * 3 + j], v[(i + 1) * 3 + j + 1]];
                for (int a = 0; a < 4; a++)
                    for (int c = 0; c < 4; c++) patches[a, c] += p[a] * p[c];
            }
        var h = hessian.ToArray<double>();
        for (int a = 0; a < 4; a++)
            for (int c = 0; c < 4; c++) Assert.Equal(patches[a, c], h[a * 4 + c], 10);
    }

    [Fact]
    public void Conv2d_of_non_contiguous_input_equals_contiguous_and_float32_matches_float64()
    {
        var x = Tensor.Randn([2, 3, 6, 5], DType.Float64, new Generator(16));
        var w = Tensor.Randn([4, 3, 3, 3], DType.Float64, new Generator(17));
        var transposed = x.Transpose(2, 3).Contiguous().Transpose(2, 3); // same values, strides of the transpose
        Assert.False(transposed.IsContiguous);
        ConvFixtureTests.AssertClose(Tensor.Conv2d(x, w, padding: 1), Tensor.Conv2d(transposed, w, padding: 1), 1e-12, "strided input");
        var single = Tensor.Conv2d(x.Float(), w.Float(), padding: 1);
        ConvFixtureTests.AssertClose(Tensor.Conv2d(x, w, padding: 1).Float(), single, 1e-5, "float32");
    }

    [Fact]
    public void Conv2d_unbatched_input_gives_unbatched_output()
    {
        var x = Tensor.Randn([3, 5, 5], DType.Float64, new Generator(18));
        var w = Tensor.Randn([2, 3, 3, 3], DType.Float64, new Generator(19));
        var y = Tensor.Conv2d(x, w);
        Assert.Equal([2, 3, 3], y.Shape.Dims);
        ConvFixtureTests.AssertClose(Tensor.Conv2d(x.Unsqueeze(0), w).Squeeze(0), y, 0, "unbatched");
    }

    [Fact]
    public void Conv2d_empty_batch_gives_empty_output_and_zero_weight_gradient()
    {
        var x = Tensor.Zeros([0, 2, 4, 4], DType.Float64, requiresGrad: true);
        var w = Randn(20, 3, 2, 3, 3);
        var y = Tensor.Conv2d(x, w);
        Assert.Equal([0, 3, 2, 2], y.Shape.Dims);
        var gw = Autograd.Grad([y.Sum()], [w])[0]!;
        Assert.All(gw.ToArray<double>(), v => Assert.Equal(0, v));
    }

    [Fact]
    public void Conv2d_wrong_channels_names_op_shapes_and_groups()
    {
        var x = Tensor.Zeros(64, 3, 32, 32);
        var w = Tensor.Zeros(16, 1, 5, 5);
        var e = Assert.Throws<ShapeException>(() => Tensor.Conv2d(x, w));
        Assert.Equal("Conv2d: input of shape [64, 3, 32, 32] has 3 channels but weight [16, 1, 5, 5] expects 1 (groups 1).", e.Message);
    }

    [Fact]
    public void Conv2d_kernel_larger_than_padded_input_is_reported()
    {
        var e = Assert.Throws<ShapeException>(() => Tensor.Conv2d(Tensor.Zeros(1, 1, 3, 3), Tensor.Zeros(1, 1, 5, 5)));
        Assert.Equal("Conv2d: kernel [5, 5] (dilation (1, 1)) is larger than the padded input [3, 3] (input [1, 1, 3, 3], padding (0, 0)).", e.Message);
        // with padding 1 the 5×5 kernel fits a 3×3 input
        Assert.Equal([1, 1, 1, 1], Tensor.Conv2d(Tensor.Zeros(1, 1, 3, 3), Tensor.Zeros(1, 1, 5, 5), padding: 1).Shape.Dims);
        var dilated = Assert.Throws<ShapeException>(() => Tensor.Conv2d(Tensor.Zeros(1, 1, 4, 4), Tensor.Zeros(1, 1, 3, 3), dilation: 2));
        Assert.Contains("dilation (2, 2)", dilated.Message);
    }

    [Fact]
    public void Conv2d_bad_groups_are_reported()
    {
        var indivisible = Assert.Throws<ShapeException>(() => Tensor.Conv2d(Tensor.Zeros(1, 4, 5, 5), Tensor.Zeros(3, 2, 3, 3), groups: 2));
        Assert.Equal("Conv2d: weight [3, 2, 3, 3] has 3 output channels, which groups 2 does not divide.", indivisible.Message);
        var mismatch = Assert.Throws<ShapeException>(() => Tensor.Conv2d(Tensor.Zeros(1, 6, 5, 5), Tensor.Zeros(4, 2, 3, 3), groups: 2));
        Assert.Equal("Conv2d: input of shape [1, 6, 5, 5] has 6 channels but weight [4, 2, 3, 3] expects 4 (groups 2).", mismatch.Message);
        var zero = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros(1, 4, 5, 5), Tensor.Zeros(4, 2, 3, 3), groups: 0));
        Assert.StartsWith("Conv2d: groups must be positive, got 0.", zero.Message);
    }

    [Fact]
    public void Conv_bias_dtype_rank_and_argument_errors_name_the_op()
    {
        var x = Tensor.Zeros(1, 2, 5, 5);
        var w = Tensor.Zeros(3, 2, 3, 3);
        Assert.Equal("Conv2d: bias must have shape [3] (one value per output channel of weight [3, 2, 3, 3]), got [2].",
            Assert.Throws<ShapeException>(() => Tensor.Conv2d(x, w, Tensor.Zeros(2))).Message);
        Assert.Equal("Conv2d: input (Float64), weight (Float32) must be the same floating-point dtype (Float32 or Float64).",
            Assert.Throws<DTypeException>(() => Tensor.Conv2d(x.Double(), w)).Message);
        Assert.Equal("Conv2d: expects a 3-D (unbatched) or 4-D (batched) input, got shape [2, 5, 5, 1, 1].",
            Assert.Throws<ShapeException>(() => Tensor.Conv2d(Tensor.Zeros(2, 5, 5, 1, 1), w)).Message);
        Assert.StartsWith("Conv2d: stride must be positive, got (0, 1).", Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, w, stride: (0, 1))).Message);
        Assert.Equal("Conv1d: input of shape [2, 4, 9] has 4 channels but weight [3, 2, 3] expects 2 (groups 1).",
            Assert.Throws<ShapeException>(() => Tensor.Conv1d(Tensor.Zeros(2, 4, 9), Tensor.Zeros(3, 2, 3))).Message);
        Assert.Equal("ConvTranspose2d: input of shape [1, 3, 4, 4] has 3 channels but weight [2, 3, 3, 3] expects 2 (groups 1).",
            Assert.Throws<ShapeException>(() => Tensor.ConvTranspose2d(Tensor.Zeros(1, 3, 4, 4), Tensor.Zeros(2, 3, 3, 3))).Message);
        Assert.StartsWith("ConvTranspose2d: output padding (2, 2) must be non-negative and smaller than the stride (2, 2) or the dilation (1, 1).",
            Assert.Throws<ArgumentException>(() => Tensor.ConvTranspose2d(Tensor.Zeros(1, 2, 4, 4), Tensor.Zeros(2, 3, 3, 3), stride: 2, outputPadding: 2)).Message);
    }

    [Fact]
    public void Functional_same_padding_keeps_size_and_divides_it_by_the_stride()
    {
        var x = Tensor.Randn([1, 2, 6, 7], DType.Float64, new Generator(21));
        var w = Tensor.Randn([3, 2, 4, 3], DType.Float64, new Generator(22));
        Assert.Equal([1, 3, 6, 7], Functional.Conv2d(x, w, padding: "same").Shape.Dims);
        Assert.Equal([1, 3, 3, 5], Functional.Conv2d(x, w, padding: "valid").Shape.Dims);
        Assert.Equal([1, 3, 3, 4], Functional.Conv2d(x, w, stride: 2, padding: "same").Shape.Dims); // ⌈6/2⌉ × ⌈7/2⌉, TensorFlow's rule
        Assert.StartsWith("Conv2d: padding must be a size, \"same\" or \"valid\", got \"full\".",
            Assert.Throws<ArgumentException>(() => Functional.Conv2d(x, w, padding: "full")).Message);
    }
}
