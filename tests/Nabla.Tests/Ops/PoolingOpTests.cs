using Nabla.NN;

namespace Nabla.Tests.Ops;

/// <summary>Pooling and interpolation ops: finite-difference gradients (first and second order), indices, errors.</summary>
public class PoolingOpTests
{
    static Tensor Randn(int seed, params int[] shape) => Tensor.Randn(shape, DType.Float64, new Generator(seed), requiresGrad: true);

    /// <summary>The gradient of Σ f(x)² with respect to x, recorded: its GradCheck tests the double backward of f.</summary>
    static Func<Tensor[], Tensor> GradientOf(Func<Tensor, Tensor> f) => t =>
    {
        var x = Differentiable(t)[0];
        using (Autograd.EnableGrad()) return Autograd.Grad([f(x).Pow(2).Sum()], [x], createGraph: true)[0]!;
    };

    /// <summary>
    /// GradCheck's finite differences call f on detached inputs under NoGrad; a function that takes a gradient
    /// inside needs them differentiable again there.
    /// </summary>
    internal static Tensor[] Differentiable(Tensor[] inputs) => inputs.Select(t => t.RequiresGrad ? t : t.Detach().RequiresGrad_()).ToArray();

    [Fact]
    public void MaxPool2d_gradcheck_first_and_second_order()
    {
        var x = Randn(1, 1, 2, 5, 5);
        Func<Tensor, Tensor> pool = t => t.MaxPool2d(3, stride: 2, padding: 1, ceilMode: true);
        Assert.True(Autograd.GradCheck(t => pool(t[0]), [x]));
        Assert.True(Autograd.GradCheck(GradientOf(pool), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].MaxPool2d(2, stride: 1, dilation: 2), [x]));
    }

    [Fact]
    public void AvgPool2d_gradcheck_first_and_second_order()
    {
        var x = Randn(2, 1, 2, 5, 6);
        Func<Tensor, Tensor> pool = t => t.AvgPool2d((3, 2), stride: 2, padding: 1, ceilMode: true, countIncludePad: false);
        Assert.True(Autograd.GradCheck(t => pool(t[0]), [x]));
        Assert.True(Autograd.GradCheck(GradientOf(pool), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].AvgPool2d(2, divisorOverride: 3), [x]));
    }

    [Fact]
    public void Adaptive_pooling_gradcheck_first_and_second_order()
    {
        var x = Randn(3, 1, 2, 7, 5);
        Assert.True(Autograd.GradCheck(t => t[0].AdaptiveAvgPool2d((3, 4)), [x]));
        Assert.True(Autograd.GradCheck(GradientOf(t => t.AdaptiveAvgPool2d((3, 2))), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].AdaptiveMaxPool2d((3, 4)), [x]));
        Assert.True(Autograd.GradCheck(GradientOf(t => t.AdaptiveMaxPool2d((2, 2))), [x]));
    }

    [Fact]
    public void Pool1d_and_LPPool2d_gradcheck()
    {
        var x = Randn(4, 2, 2, 7);
        Assert.True(Autograd.GradCheck(t => t[0].MaxPool1d(3, stride: 2, padding: 1), [x]));
        Assert.True(Autograd.GradCheck(t => t[0].AvgPool1d(3, stride: 2, padding: 1, countIncludePad: false), [x]));
        var positive = (Tensor.Rand([1, 2, 4, 4], DType.Float64, new Generator(5)) + 0.5).Detach().RequiresGrad_();
        Assert.True(Autograd.GradCheck(t => Functional.LPPool2d(t[0], 2, 2), [positive]));
        Assert.True(Autograd.GradCheck(t => Functional.LPPool2d(t[0], 3, 3, stride: 1), [positive]));
    }

    [Fact]
    public void Interpolate_gradcheck_nearest_and_bilinear_both_alignments()
    {
        var x = Randn(6, 1, 2, 3, 4);
        Assert.True(Autograd.GradCheck(t => Functional.Interpolate(t[0], scaleFactor: 2), [x]));
        Assert.True(Autograd.GradCheck(t => Functional.Interpolate(t[0], size: (5, 3)), [x]));
        Assert.True(Autograd.GradCheck(t => Functional.Interpolate(t[0], size: (5, 7), mode: "bilinear"), [x]));
        Assert.True(Autograd.GradCheck(t => Functional.Interpolate(t[0], size: (5, 7), mode: "bilinear", alignCorners: true), [x]));
        Assert.True(Autograd.GradCheck(GradientOf(t => Functional.Interpolate(t, scaleFactor: 1.5, mode: "bilinear")), [x]));
        var sequence = Randn(7, 1, 2, 5);
        Assert.True(Autograd.GradCheck(t => Functional.Interpolate(t[0], size: 8, mode: "linear"), [sequence]));
    }

    [Fact]
    public void MaxPool2d_indices_are_flat_positions_within_each_plane()
    {
        var x = Tensor.From(new double[] { 1, 9, 2, 3, 4, 5, 6, 7, 8, 0, 11, 10, 12, 13, 15, 14 }, 1, 1, 4, 4);
        var (values, indices) = x.MaxPool2dWithIndices(2);
        Assert.Equal([9.0, 7, 13, 15], values.ToArray<double>());
        Assert.Equal([1L, 7, 13, 14], indices.ToArray<long>());
        Assert.Equal(DType.Int64, indices.DType);
    }

    [Fact]
    public void Pooling_unbatched_input_and_float32()
    {
        var x = Tensor.Randn([3, 6, 6], DType.Float32, new Generator(8));
        Assert.Equal([3, 3, 3], x.MaxPool2d(2).Shape.Dims);
        Assert.Equal([3, 2, 2], x.AvgPool2d(3).Shape.Dims);
        Assert.Equal([3, 1, 1], x.AdaptiveAvgPool2d(1).Shape.Dims);
        ConvFixtureTests.AssertClose(x.Mean([1, 2]).View(3, 1, 1), x.AdaptiveAvgPool2d(1), 1e-6, "global average");
    }

    [Fact]
    public void Pooling_errors_name_op_and_shapes()
    {
        var x = Tensor.Zeros(1, 2, 3, 3);
        Assert.Equal("MaxPool2d: input of shape [1, 2, 3, 3] is too small for kernel (4, 4) (stride (4, 4), padding (0, 0), dilation (1, 1)): the output would be 0x0.",
            Assert.Throws<ShapeException>(() => x.MaxPool2d(4)).Message);
        Assert.StartsWith("AvgPool2d: padding (2, 2) must be non-negative and at most half the kernel size (3, 3).",
            Assert.Throws<ArgumentException>(() => x.AvgPool2d(3, padding: 2)).Message);
        Assert.Equal("AdaptiveAvgPool2d: expects a 3-D (unbatched) or 4-D (batched) input, got shape [3, 3].",
            Assert.Throws<ShapeException>(() => Tensor.Zeros(3, 3).AdaptiveAvgPool2d(1)).Message);
        Assert.Equal("MaxPool2d: expects a Float32 or Float64 input, got Int64.",
            Assert.Throws<DTypeException>(() => Tensor.Zeros([1, 1, 4, 4], DType.Int64).MaxPool2d(2)).Message);
        Assert.StartsWith("AvgPool2d: divisorOverride must be positive, got 0.", Assert.Throws<ArgumentException>(() => x.AvgPool2d(2, divisorOverride: 0)).Message);
        Assert.StartsWith("Interpolate: give exactly one of size and scaleFactor.", Assert.Throws<ArgumentException>(() => Functional.Interpolate(x)).Message);
        Assert.StartsWith("Interpolate: alignCorners can only be set with the interpolating modes",
            Assert.Throws<ArgumentException>(() => Functional.Interpolate(x, scaleFactor: 2, alignCorners: true)).Message);
    }
}
