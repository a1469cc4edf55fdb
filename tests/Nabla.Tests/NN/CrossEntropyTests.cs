using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>
/// The fused cross-entropy of [N, C] logits and class indices (Ops/CrossEntropy.cs) against the composition it
/// replaces (log-softmax then NLL), finite differences, and its double backward. PyTorch's values are checked by
/// the CrossEntropyLoss fixtures of PyTorchReferenceTests, which go through the same path.
/// </summary>
public class CrossEntropyTests
{
    static readonly Reduction[] Reductions = [Reduction.Mean, Reduction.Sum, Reduction.None];

    [Theory]
    [InlineData(DType.Float32, 7)]
    [InlineData(DType.Float64, 7)]
    [InlineData(DType.Float32, 2400)] // 67,200 logits: the rows are shared by the worker pool
    [InlineData(DType.Float64, 2400)]
    public void Fused_cross_entropy_equals_log_softmax_then_nll_with_gradients(DType dtype, int rows)
    {
        var target = rows == 7 ? Tensor.From(new long[] { 3, 0, -100, 27, 5, 5, 12 })
            : Tensor.From(Enumerable.Range(0, rows).Select(r => r % 5 == 2 ? -100L : r * 7919L % 28).ToArray());
        foreach (var reduction in Reductions)
        {
            var logits = (Tensor.Randn([rows, 28], dtype, new Generator(1)) * 4).RequiresGrad_();
            var reference = logits.Detach().RequiresGrad_();
            var loss = F.CrossEntropy(logits, target, reduction: reduction);
            var expected = F.NllLoss(reference.LogSoftmax(1), target, reduction: reduction);
            Assert.Equal("CrossEntropyBackward", loss.GradFn!.Name);
            double tolerance = dtype == DType.Float32 ? 1e-5 : 1e-12;
            Assert.True(loss.AllClose(expected, rtol: tolerance, atol: tolerance), $"{reduction}: {loss} against {expected}");
            var upstream = reduction == Reduction.None ? Tensor.Randn([rows], dtype, new Generator(2)) : Tensor.Scalar(0.7, dtype);
            (loss * upstream).Sum().Backward();
            (expected * upstream).Sum().Backward();
            Assert.True(logits.Grad!.AllClose(reference.Grad!, rtol: tolerance, atol: tolerance), $"{reduction} gradient");
            Assert.All(logits.Grad![2].ToArray<double>(), v => Assert.Equal(0.0, v));
        }
    }

    [Fact]
    public void Fused_cross_entropy_gradients_pass_gradcheck()
    {
        var target = Tensor.From(new long[] { 2, 1, 0, 3, 1 });
        var ignoring = Tensor.From(new long[] { 2, 7, 0, 3, 7 });
        foreach (var reduction in Reductions)
        {
            Assert.True(Autograd.GradCheck(t => F.CrossEntropy(t[0], target, reduction: reduction), [Randn(1)]));
            Assert.True(Autograd.GradCheck(t => F.CrossEntropy(t[0], ignoring, ignoreIndex: 7, reduction: reduction), [Randn(2)]));
        }
    }

    [Fact]
    public void Fused_cross_entropy_double_backward_gradcheck()
    {
        // Its backward, when recorded, is written in differentiable ops: check the gradient's gradient (the Hessian-vector product).
        var target = Tensor.From(new long[] { 2, -100, 0, 3, 1 });
        foreach (var reduction in Reductions)
            Assert.True(Autograd.GradCheck(inputs =>
            {
                var t = Nabla.Tests.Ops.PoolingOpTests.Differentiable(inputs);
                using var grad = Autograd.EnableGrad();
                var loss = F.CrossEntropy(t[0], target, reduction: reduction).Sum();
                return Autograd.Grad([loss], [t[0]], createGraph: true)[0]!.Flatten();
            }, [Randn(3)]));
    }

    [Fact]
    public void Fused_cross_entropy_mean_of_only_ignored_rows_is_nan_and_bad_targets_are_named()
    {
        var logits = Tensor.Randn([2, 4], generator: new Generator(4));
        Assert.True(float.IsNaN(F.CrossEntropy(logits, Tensor.From(new long[] { -100, -100 })).Item<float>()));
        var error = Assert.Throws<ShapeException>(() => F.CrossEntropy(logits, Tensor.From(new long[] { 1, 4 })));
        Assert.Contains("CrossEntropy", error.Message);
        Assert.Contains("target 4", error.Message);
        Assert.Contains("[2, 4]", error.Message);
        Assert.Throws<ShapeException>(() => F.CrossEntropy(logits, Tensor.From(new long[] { -1, 0 })));
        Assert.Contains("no classes", Assert.Throws<ShapeException>(() => F.CrossEntropy(Tensor.Zeros([2, 0]), Tensor.From(new long[] { 0, 0 }))).Message);
        Assert.True(float.IsNaN(F.CrossEntropy(Tensor.Zeros([0, 3]), Tensor.Zeros([0], DType.Int64)).Item<float>()));
    }

    static Tensor Randn(int seed) => Tensor.Randn([5, 4], DType.Float64, new Generator(seed), requiresGrad: true);
}
