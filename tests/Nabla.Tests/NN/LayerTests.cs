using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

public class LayerTests
{
    [Fact]
    public void Dropout_is_identity_in_eval_mode()
    {
        var dropout = new Dropout(0.5);
        dropout.Eval();
        var x = Tensor.Randn([10, 10]);
        Assert.Same(x, dropout.Call(x));
    }

    [Fact]
    public void Dropout_keeps_about_one_minus_p_and_scales_survivors()
    {
        var dropout = new Dropout(0.3, new Generator(7));
        var x = Tensor.Ones([100_000], requiresGrad: true);
        var y = dropout.Call(x);
        var values = y.ToArray<float>();
        float scale = (float)(1 / 0.7);
        Assert.All(values, v => Assert.True(v == 0 || Math.Abs(v - scale) < 1e-6));
        double kept = values.Count(v => v != 0) / (double)values.Length;
        Assert.InRange(kept, 0.69, 0.71); // ±7σ for 100k Bernoulli(0.7) draws
        Assert.Equal(1, values.Average(), 0.02); // inverted dropout keeps the expectation
        y.Sum().Backward();
        Assert.Equal(values, x.Grad!.ToArray<float>()); // the gradient is the same mask
    }

    [Fact]
    public void Dropout_with_the_same_seed_draws_the_same_mask()
    {
        var x = Tensor.Ones([1000]);
        var a = new Dropout(0.5, new Generator(3)).Call(x);
        var b = new Dropout(0.5, new Generator(3)).Call(x);
        Assert.True(a.Equal(b));
        Assert.All(F.Dropout(x, 1.0).ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.Same(x, F.Dropout(x, 0.0));
        Assert.Throws<ArgumentException>(() => new Dropout(1.5));
    }

    [Fact]
    public void Dropout_decisions_depend_only_on_the_generator_state_and_the_element_index()
    {
        // The fused kernel hashes one draw with each row-major index: a tensor split over the worker pool (200k elements)
        // agrees with a small one on their common prefix, float64 with float32, and a strided view with its copy.
        var big = F.Dropout(Tensor.Ones([200_000]), 0.25, generator: new Generator(5)).ToArray<float>();
        var small = F.Dropout(Tensor.Ones([1000]), 0.25, generator: new Generator(5)).ToArray<float>();
        Assert.Equal(small, big[..1000]);
        var wide = F.Dropout(Tensor.Ones([1000], DType.Float64), 0.25, generator: new Generator(5)).ToArray<double>();
        Assert.Equal(small.Select(v => v != 0), wide.Select(v => v != 0));
        Assert.Equal(1 / 0.75, wide.Max(), 12);
        var x = Tensor.Randn([40, 30], generator: new Generator(1)).T;
        Assert.True(F.Dropout(x, 0.5, generator: new Generator(2)).Equal(F.Dropout(x.Contiguous(), 0.5, generator: new Generator(2))));
        Assert.Equal(150_295, big.Count(v => v != 0)); // ≈ 0.75 · 200k (1.5σ), pinned: the AVX-512, AVX2 and portable paths agree
        // A dropped NaN stays NaN (x·0, as PyTorch), and the next call draws a different mask.
        Assert.All(F.Dropout(Tensor.Full([100], float.NaN), 0.5).ToArray<float>(), v => Assert.True(float.IsNaN(v)));
        var generator = new Generator(5);
        var first = F.Dropout(Tensor.Ones([1000]), 0.25, generator: generator);
        Assert.False(first.Equal(F.Dropout(Tensor.Ones([1000]), 0.25, generator: generator)));
    }

    [Fact]
    public void Dropout_double_backward_gradcheck()
    {
        // The backward reapplies the forward's draw to the gradient, through the same op: its gradient is checked too.
        Assert.True(Autograd.GradCheck(inputs =>
        {
            var t = Nabla.Tests.Ops.PoolingOpTests.Differentiable(inputs);
            using var grad = Autograd.EnableGrad();
            var loss = (F.Dropout(t[0], 0.4, generator: new Generator(9)) * t[1]).Pow(2).Sum();
            var grads = Autograd.Grad([loss], [t[0], t[1]], createGraph: true);
            return Tensor.Cat([grads[0]!.Flatten(), grads[1]!.Flatten()]);
        }, [Tensor.Randn([3, 5], DType.Float64, new Generator(1), requiresGrad: true), Tensor.Randn([3, 5], DType.Float64, new Generator(2), requiresGrad: true)]));
    }

    [Fact]
    public void Large_linear_fills_every_row_with_the_bias_like_matmul_plus_bias()
    {
        // 300 × 500 outputs: the bias rows are filled by the worker pool before the product is added.
        var x = Tensor.Randn([300, 64], generator: new Generator(1));
        var weight = Tensor.Randn([500, 64], generator: new Generator(2));
        var bias = Tensor.Randn([500], generator: new Generator(3));
        Assert.True(F.Linear(x, weight, bias).AllClose(x.MatMul(weight.T) + bias, rtol: 1e-5, atol: 1e-4));
    }

    [Fact]
    public void Layers_print_like_pytorch()
    {
        Assert.Equal("BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", new BatchNorm1d(4).ToString());
        Assert.Equal("BatchNorm2d(8, eps=0.001, momentum=None, affine=False, track_running_stats=True)", new BatchNorm2d(8, eps: 1e-3, momentum: null, affine: false).ToString());
        Assert.Equal("LayerNorm((4,), eps=1e-05, elementwise_affine=True)", new LayerNorm(4).ToString());
        Assert.Equal("LayerNorm((2, 3), eps=1e-05, elementwise_affine=False)", new LayerNorm([2, 3], elementwiseAffine: false).ToString());
        Assert.Equal("Embedding(10, 3, padding_idx=0)", new Embedding(10, 3, paddingIdx: 0).ToString());
        Assert.Equal("Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)", new Bilinear(2, 3, 4).ToString());
        Assert.Equal("LeakyReLU(negative_slope=0.01)", new LeakyReLU().ToString());
        Assert.Equal("ELU(alpha=1.0)", new ELU().ToString());
        Assert.Equal("GELU(approximate='none')", new GELU().ToString());
        Assert.Equal("Softmax(dim=-1)", new Softmax(-1).ToString());
        Assert.Equal("Flatten(start_dim=1, end_dim=-1)", new Flatten().ToString());
        Assert.Equal("Unflatten(dim=1, unflattened_size=(2, 3))", new Unflatten(1, 2, 3).ToString());
        Assert.Equal("Identity()", new Identity().ToString());
        Assert.Equal("CrossEntropyLoss()", new CrossEntropyLoss().ToString());
        Assert.Equal("Dropout(p=0.5, inplace=False)", new Dropout().ToString());
    }

    [Fact]
    public void BatchNorm_state_dict_has_pytorch_keys_and_int64_counter()
    {
        var bn = new BatchNorm2d(3);
        var state = bn.StateDict();
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], state.Keys);
        Assert.Equal(DType.Int64, state["num_batches_tracked"].DType);
        bn.Call(Tensor.Randn([2, 3, 2, 2]));
        bn.Call(Tensor.Randn([2, 3, 2, 2]));
        Assert.Equal(2L, bn.NumBatchesTracked!.Item<long>());
        bn.Eval();
        bn.Call(Tensor.Randn([2, 3, 2, 2]));
        Assert.Equal(2L, bn.NumBatchesTracked!.Item<long>());
        Assert.Equal(["weight", "bias"], new BatchNorm1d(2, trackRunningStats: false).StateDict().Keys);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BatchNorm_eval_without_grad_folds_to_one_pass_equal_to_the_differentiable_form(bool float64)
    {
        // No grad: the folded one-pass kernel (x·a + b); with an input that needs grad: the composed ops.
        Generator.ManualSeed(3);
        DType dtype = float64 ? DType.Float64 : DType.Float32;
        var x = (Tensor.Randn([3, 5, 4, 7]) * 3 + 1).To(dtype);
        var mean = Tensor.Randn([5]).To(dtype);
        var variance = (Tensor.Rand([5]) + 0.5).To(dtype);
        var weight = Tensor.Randn([5]).To(dtype);
        var bias = Tensor.Randn([5]).To(dtype);
        Tensor folded;
        using (Autograd.NoGrad()) folded = F.BatchNorm(x, mean, variance, weight, bias, eps: 1e-3);
        var composed = F.BatchNorm(x.Detach().RequiresGrad_(), mean, variance, weight, bias, eps: 1e-3);
        Assert.True(composed.RequiresGrad);
        Assert.Equal(dtype, folded.DType);
        Assert.True(folded.AllClose(composed.Detach(), rtol: float64 ? 1e-12 : 1e-5, atol: float64 ? 1e-12 : 1e-5));
        Tensor noAffine;
        using (Autograd.NoGrad()) noAffine = F.BatchNorm(x, mean, variance, eps: 1e-3);
        Assert.True(noAffine.AllClose((x - mean.Reshape(1, 5, 1, 1)) / (variance.Reshape(1, 5, 1, 1) + 1e-3).Sqrt(), rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void BatchNorm_rejects_wrong_rank_and_single_value_batches()
    {
        Assert.Contains("[N, C, H, W]", Assert.Throws<ShapeException>(() => new BatchNorm2d(3).Call(Tensor.Randn([2, 3]))).Message);
        Assert.Contains("more than 1 value per channel", Assert.Throws<ShapeException>(() => new BatchNorm1d(3).Call(Tensor.Randn([1, 3]))).Message);
        var eval = new BatchNorm1d(3);
        eval.Eval();
        Assert.Equal([1, 3], eval.Call(Tensor.Randn([1, 3])).Shape.ToArray());
    }

    [Fact]
    public void Embedding_padding_row_starts_at_zero_and_stays_there()
    {
        Generator.ManualSeed(3);
        var embedding = new Embedding(5, 4, paddingIdx: 2);
        Assert.All(embedding.Weight[2].ToArray<float>(), v => Assert.Equal(0f, v));
        var output = embedding.Call(Tensor.From(new long[] { 2, 1, 2 }));
        Assert.Equal([3, 4], output.Shape.ToArray());
        output.Square().Sum().Backward();
        Assert.All(embedding.Weight.Grad![2].ToArray<float>(), v => Assert.Equal(0f, v));
        var frozen = Embedding.FromPretrained(Tensor.Eye(3));
        Assert.False(frozen.Weight.RequiresGrad);
        Assert.Equal(new float[] { 0, 1, 0 }, frozen.Call(Tensor.From(new long[] { 1 })).ToArray<float>());
        Assert.Throws<DTypeException>(() => embedding.Call(Tensor.From(new float[] { 1 })));
    }

    [Fact]
    public void Linear_errors_name_the_shapes()
    {
        var error = Assert.Throws<ShapeException>(() => new Linear(4, 2).Call(Tensor.Zeros([3, 5])));
        Assert.Contains("[3, 5]", error.Message);
        Assert.Contains("in_features = 4", error.Message);
    }

    [Fact]
    public void Loss_errors_name_the_shapes()
    {
        var mse = Assert.Throws<ShapeException>(() => new MSELoss().Call(Tensor.Zeros([4, 1]), Tensor.Zeros([4])));
        Assert.Contains("[4, 1]", mse.Message);
        var ce = Assert.Throws<ShapeException>(() => new CrossEntropyLoss().Call(Tensor.Zeros([4, 3]), Tensor.Zeros([5], DType.Int64)));
        Assert.Contains("[5]", ce.Message);
        Assert.Throws<DTypeException>(() => F.NllLoss(Tensor.Zeros([4, 3]), Tensor.Zeros([4], DType.Int32)));
        Assert.Throws<ShapeException>(() => new CrossEntropyLoss(weight: Tensor.Ones([2])).Call(Tensor.Zeros([4, 3]), Tensor.Zeros([4], DType.Int64)));
        Assert.Throws<ArgumentException>(() => F.MseLoss(Tensor.Zeros([2]), Tensor.Zeros([2]), Reduction.BatchMean));
    }

    [Fact]
    public void CrossEntropy_of_uniform_logits_is_log_C_and_ignores_ignored()
    {
        var logits = Tensor.Zeros([3, 4], requiresGrad: true);
        var loss = F.CrossEntropy(logits, Tensor.From(new long[] { 1, -100, 3 }));
        Assert.Equal(Math.Log(4), loss.Item<float>(), 1e-6);
        loss.Backward();
        Assert.All(logits.Grad![1].ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void BCEWithLogits_is_finite_for_huge_logits()
    {
        var loss = F.BinaryCrossEntropyWithLogits(Tensor.From(new float[] { 1000, -1000 }), Tensor.From(new float[] { 0, 1 }), reduction: Reduction.None);
        Assert.Equal(new float[] { 1000, 1000 }, loss.ToArray<float>());
    }
}
