using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>Float64 finite-difference checks of the layers' and losses' gradients, with respect to inputs and parameters.</summary>
public class NNGradCheckTests
{
    static Tensor Randn(int seed, params int[] shape) => Tensor.Randn(shape, DType.Float64, new Generator(seed), requiresGrad: true);

    static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs) => Assert.True(Autograd.GradCheck(f, inputs));

    [Fact]
    public void Linear_gradients() => Check(t => F.Linear(t[0], t[1], t[2]), Randn(1, 3, 4), Randn(2, 2, 4), Randn(3, 2));

    [Fact]
    public void Linear_with_batch_dims_gradients() => Check(t => F.Linear(t[0], t[1]), Randn(1, 2, 3, 4), Randn(2, 2, 4));

    [Fact]
    public void Linear_double_backward_gradcheck()
    {
        // Linear is one op (AddmmBackward0) whose backward is built from differentiable ops: check its gradients' gradients.
        Assert.True(Autograd.GradCheck(inputs =>
        {
            var t = Nabla.Tests.Ops.PoolingOpTests.Differentiable(inputs);
            using var grad = Autograd.EnableGrad();
            var loss = F.Linear(t[0], t[1], t[2]).Pow(2).Sum();
            var grads = Autograd.Grad([loss], [t[0], t[1], t[2]], createGraph: true);
            return Tensor.Cat([grads[0]!.Flatten(), grads[1]!.Flatten(), grads[2]!.Flatten()]);
        }, [Randn(1, 3, 4), Randn(2, 2, 4), Randn(3, 2)]));
    }

    [Fact]
    public void Linear_weight_gradient_has_the_weights_layout_and_equals_the_matmul_composition()
    {
        var x = Randn(1, 5, 4);
        var w = Randn(2, 3, 4);
        var b = Randn(3, 3);
        var upstream = Tensor.Randn([5, 3], DType.Float64, new Generator(4));
        (F.Linear(x, w, b) * upstream).Sum().Backward();
        var (gx, gw, gb) = (x.Grad!, w.Grad!, b.Grad!);
        Assert.True(gw.IsContiguous);
        Assert.Equal("AddmmBackward0", F.Linear(x, w, b).GradFn!.Name);

        var x2 = x.Detach().RequiresGrad_();
        var w2 = w.Detach().RequiresGrad_();
        var b2 = b.Detach().RequiresGrad_();
        ((x2.MatMul(w2.T) + b2) * upstream).Sum().Backward();
        Assert.True(gx.AllClose(x2.Grad!, rtol: 1e-12, atol: 1e-12));
        Assert.True(gw.AllClose(w2.Grad!, rtol: 1e-12, atol: 1e-12));
        Assert.True(gb.AllClose(b2.Grad!, rtol: 1e-12, atol: 1e-12));
    }

    [Fact]
    public void Linear_of_a_1d_input_or_mixed_dtypes_follows_matmul()
    {
        var w = Tensor.Randn([3, 4], DType.Float32, new Generator(1));
        var b = Tensor.Randn([3], DType.Float32, new Generator(2));
        var v = Tensor.Randn([4], DType.Float32, new Generator(3));
        Assert.Equal([3], F.Linear(v, w, b).Shape.ToArray());
        Assert.True(F.Linear(v, w, b).AllClose(v.MatMul(w.T) + b));
        var x64 = Tensor.Randn([2, 4], DType.Float64, new Generator(5));
        var mixed = F.Linear(x64, w, b);
        Assert.Equal(DType.Float64, mixed.DType);
        Assert.True(mixed.AllClose(x64.MatMul(w.T) + b));
    }

    [Fact]
    public void Bilinear_gradients() => Check(t => F.Bilinear(t[0], t[1], t[2], t[3]), Randn(1, 3, 2), Randn(2, 3, 3), Randn(3, 2, 2, 3), Randn(4, 2));

    [Fact]
    public void LayerNorm_gradients() =>
        Check(t => F.LayerNorm(t[0], [3, 2], t[1], t[2]), Randn(1, 2, 3, 2), Randn(2, 3, 2), Randn(3, 3, 2));

    [Fact]
    public void BatchNorm_training_gradients()
    {
        var runningMean = Tensor.Zeros([3], DType.Float64);
        var runningVar = Tensor.Ones([3], DType.Float64);
        Check(t => F.BatchNorm(t[0], runningMean, runningVar, t[1], t[2], training: true), Randn(1, 4, 3, 2), Randn(2, 3), Randn(3, 3));
    }

    [Fact]
    public void BatchNorm_training_of_images_is_one_op_with_exact_gradients()
    {
        // Planes of ≥ 8 contiguous values take the fused op (NativeBatchNormBackward0) and its closed-form backward.
        var runningMean = Tensor.Zeros([2], DType.Float64);
        var runningVar = Tensor.Ones([2], DType.Float64);
        var x = Randn(1, 3, 2, 3, 3);
        Assert.Equal("NativeBatchNormBackward0", F.BatchNorm(x, runningMean, runningVar, training: true).GradFn!.Name);
        Check(t => F.BatchNorm(t[0], runningMean, runningVar, t[1], t[2], training: true), x, Randn(2, 2), Randn(3, 2));
        Check(t => F.BatchNorm(t[0], runningMean, runningVar, training: true), x);
    }

    [Fact]
    public void BatchNorm_training_double_backward_gradcheck()
    {
        var runningMean = Tensor.Zeros([2], DType.Float64);
        var runningVar = Tensor.Ones([2], DType.Float64);
        Assert.True(Autograd.GradCheck(inputs =>
        {
            var t = Nabla.Tests.Ops.PoolingOpTests.Differentiable(inputs);
            using var grad = Autograd.EnableGrad();
            var loss = (F.BatchNorm(t[0], runningMean, runningVar, t[1], t[2], training: true).Pow(3) * t[3]).Sum();
            var grads = Autograd.Grad([loss], [t[0], t[1], t[2]], createGraph: true);
            return Tensor.Cat([grads[0]!.Flatten(), grads[1]!.Flatten(), grads[2]!.Flatten()]);
        }, [Randn(1, 3, 2, 3, 3), Randn(2, 2), Randn(3, 2), Randn(4, 3, 2, 3, 3)]));
    }

    [Fact]
    public void BatchNorm_training_fused_equals_composed_with_running_statistics()
    {
        // A non-contiguous input takes the composed path; the same values made contiguous take the fused op.
        var source = Tensor.Randn([4, 3, 5, 6], generator: new Generator(7)) * 3 + 1;
        var strided = source.Transpose(2, 3);
        var contiguous = strided.Contiguous();
        var weight = Tensor.Randn([3], generator: new Generator(8));
        var bias = Tensor.Randn([3], generator: new Generator(9));
        var (mean1, var1) = (Tensor.Zeros([3]), Tensor.Ones([3]));
        var (mean2, var2) = (Tensor.Zeros([3]), Tensor.Ones([3]));
        var composed = F.BatchNorm(strided, mean1, var1, weight, bias, training: true, momentum: 0.3);
        var fused = F.BatchNorm(contiguous, mean2, var2, weight, bias, training: true, momentum: 0.3);
        Assert.True(fused.AllClose(composed, rtol: 1e-5, atol: 1e-5));
        Assert.True(mean2.AllClose(mean1, rtol: 1e-6, atol: 1e-6));
        Assert.True(var2.AllClose(var1, rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void BatchNorm_eval_gradients()
    {
        var runningMean = Tensor.From(new double[] { 0.5, -1 });
        var runningVar = Tensor.From(new double[] { 2, 0.5 });
        Check(t => F.BatchNorm(t[0], runningMean, runningVar, t[1], t[2], training: false), Randn(1, 3, 2), Randn(2, 2), Randn(3, 2));
    }

    [Fact]
    public void Embedding_gradients_skip_the_padding_row()
    {
        var indices = Tensor.From(new long[] { 1, 0, 3, 1 }, 2, 2);
        var weight = Randn(1, 4, 3);
        Check(t => F.Embedding(indices, t[0]), weight);
        F.Embedding(indices, weight, paddingIdx: 1).Sum().Backward();
        Assert.Equal(new double[] { 0, 0, 0 }, weight.Grad![1].ToArray<double>());
        Assert.Equal(new double[] { 1, 1, 1 }, weight.Grad![0].ToArray<double>());
    }

    static readonly Reduction[] Reductions = [Reduction.Mean, Reduction.Sum, Reduction.None];

    [Fact]
    public void Regression_loss_gradients()
    {
        var target = Tensor.Randn([3, 4], DType.Float64, new Generator(9));
        foreach (var r in Reductions)
        {
            Check(t => F.MseLoss(t[0], target, r), Randn(1, 3, 4));
            Check(t => F.L1Loss(t[0], target, r), Randn(2, 3, 4));
            Check(t => F.HuberLoss(t[0], target, r, delta: 0.7), Randn(3, 3, 4));
            Check(t => F.SmoothL1Loss(t[0], target, r, beta: 0.7), Randn(4, 3, 4));
        }
    }

    [Fact]
    public void CrossEntropy_gradients()
    {
        var labels = Tensor.From(new long[] { 2, -100, 0, 3, 1 });
        var weight = Tensor.From(new double[] { 0.5, 1, 2, 1.5 });
        var probabilities = Tensor.Rand([5, 4], DType.Float64, new Generator(3)).Softmax(1);
        foreach (var r in Reductions)
        {
            Check(t => F.CrossEntropy(t[0], labels, weight, reduction: r, labelSmoothing: 0.1), Randn(1, 5, 4));
            Check(t => F.CrossEntropy(t[0], probabilities, weight, reduction: r, labelSmoothing: 0.2), Randn(2, 5, 4));
            Check(t => F.NllLoss(t[0], labels, weight, reduction: r), Randn(3, 5, 4));
        }
        var spatial = Tensor.From(new long[] { 0, 2, 1, 2, 2, 0 }, 2, 3);
        Check(t => F.CrossEntropy(t[0], spatial, ignoreIndex: 1), Randn(4, 2, 3, 3));
    }

    [Fact]
    public void Binary_and_divergence_loss_gradients()
    {
        var target = Tensor.Rand([3, 2], DType.Float64, new Generator(5));
        var posWeight = Tensor.From(new double[] { 0.5, 3 });
        var weight = Tensor.From(new double[] { 2, 0.25 });
        var logTarget = Tensor.Randn([3, 2], DType.Float64, new Generator(6)).LogSoftmax(1);
        foreach (var r in Reductions)
        {
            var probability = Tensor.Rand([3, 2], DType.Float64, new Generator(7)) * 0.8 + 0.1;
            Check(t => F.BinaryCrossEntropy(t[0], target, weight, r), probability.RequiresGrad_());
            Check(t => F.BinaryCrossEntropyWithLogits(t[0], target, weight, r, posWeight), Randn(1, 3, 2));
            Check(t => F.KlDiv(t[0], target, r), Randn(2, 3, 2));
            Check(t => F.KlDiv(t[0], logTarget, r, logTarget: true), Randn(3, 3, 2));
        }
        Check(t => F.KlDiv(t[0], target, Reduction.BatchMean), Randn(4, 3, 2));
    }
}
