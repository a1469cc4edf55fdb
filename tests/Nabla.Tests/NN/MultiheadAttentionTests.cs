using System.Text.Json;
using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>
/// nn.MultiheadAttention against torch.nn.MultiheadAttention 1.13 (tests/fixtures/attention.json, "mha" cases):
/// PyTorch's state dict loaded by name, outputs, attention weights and the gradients of the inputs and of every
/// parameter; plus the isCausal hint, a float64 GradCheck, dropout and bad input.
/// </summary>
public class MultiheadAttentionTests
{
    public static TheoryData<string> MhaCases =>
        [.. AttentionTests.Cases.Where(c => c.Value.GetProperty("kind").GetString() == "mha").Select(c => c.Key)];

    const double Rtol = 1e-4, Atol = 1e-5;

    [Theory]
    [MemberData(nameof(MhaCases))]
    public void MultiheadAttention_matches_pytorch(string name)
    {
        var c = AttentionTests.Cases[name];
        var args = c.GetProperty("args");
        int? OptionalInt(string key) => args.GetProperty(key).ValueKind == JsonValueKind.Null ? null : args.GetProperty(key).GetInt32();
        bool Flag(string key) => args.GetProperty(key).GetBoolean();
        var module = new MultiheadAttention(args.GetProperty("embedDim").GetInt32(), args.GetProperty("numHeads").GetInt32(), bias: Flag("bias"),
            addBiasKv: Flag("addBiasKv"), addZeroAttn: Flag("addZeroAttn"), kdim: OptionalInt("kdim"), vdim: OptionalInt("vdim"), batchFirst: Flag("batchFirst"));
        var state = Fixture.Tensors(c.GetProperty("params"));
        Assert.Equal(state.Keys, module.NamedParameters().Select(p => p.Name)); // PyTorch's names and order
        Assert.Equal(state.Keys.Order(), module.StateDict().Keys.Order());
        module.LoadStateDict(state);

        var query = AttentionTests.Load(c.GetProperty("query")).RequiresGrad_();
        bool self = Flag("selfAttention");
        var key = self ? query : AttentionTests.Load(c.GetProperty("key")).RequiresGrad_();
        var value = self ? query : AttentionTests.Load(c.GetProperty("value")).RequiresGrad_();
        var (output, weights) = module.Call(query, key, value, AttentionTests.Optional(c, "key_padding_mask"), Flag("needWeights"),
            AttentionTests.Optional(c, "attn_mask"), Flag("averageAttnWeights"));
        Fixture.AssertClose(AttentionTests.Load(c.GetProperty("output")), output, $"{name} output", Rtol, Atol);
        var loss = (output * AttentionTests.Load(c.GetProperty("grad_output"))).Sum();
        if (c.TryGetProperty("weights", out var expectedWeights))
        {
            Fixture.AssertClose(AttentionTests.Load(expectedWeights), weights, $"{name} weights", Rtol, Atol);
            loss = loss + (weights! * AttentionTests.Load(c.GetProperty("grad_weights"))).Sum();
        }
        else Assert.Null(weights);
        loss.Backward();
        var parameters = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var grad in c.GetProperty("grads").EnumerateObject())
        {
            var actual = grad.Name switch { "query" => query.Grad, "key" => key.Grad, "value" => value.Grad, var p => parameters[p].Grad };
            Fixture.AssertClose(AttentionTests.Load(grad.Value), actual, $"{name} grad of {grad.Name}", Rtol, Atol);
        }
    }

    [Fact]
    public void IsCausal_hint_runs_the_causal_kernel_and_agrees_with_the_explicit_mask()
    {
        var mha = new MultiheadAttention(8, 2, batchFirst: true);
        var x = Tensor.Randn([2, 70, 8], DType.Float32, new Generator(1));
        var causal = Transformer.GenerateSquareSubsequentMask(70);
        var (hinted, _) = mha.Call(x, x, x, needWeights: false, attnMask: causal, isCausal: true);
        var (masked, weights) = mha.Call(x, x, x, attnMask: causal);
        Fixture.AssertClose(masked, hinted, "causal output", 1e-5, 1e-5);
        Assert.Equal(0.0, weights![.., 0, 1..].Abs().Sum().Item<float>()); // the first query sees only the first key
        Assert.Throws<ArgumentException>(() => mha.Call(x, x, x, isCausal: true));
    }

    [Fact]
    public void MultiheadAttention_gradcheck_in_float64()
    {
        var mha = new MultiheadAttention(4, 2, addBiasKv: true, kdim: 3, vdim: 2, dtype: DType.Float64);
        var g = new Generator(2);
        var padding = Tensor.From(new[] { false, false, true, false, false, false }, [2, 3]);
        Assert.True(Autograd.GradCheck(t => mha.Call(t[0], t[1], t[2], padding, needWeights: false).Output,
            [Tensor.Randn([2, 2, 4], DType.Float64, g, true), Tensor.Randn([3, 2, 3], DType.Float64, g, true), Tensor.Randn([3, 2, 2], DType.Float64, g, true)]));
    }

    [Fact]
    public void Dropout_acts_in_training_only_and_weights_then_need_not_sum_to_one()
    {
        var mha = new MultiheadAttention(8, 2, dropout: 0.5, generator: new Generator(3));
        var x = Tensor.Randn([4, 2, 8], DType.Float32, new Generator(4));
        var (_, trainWeights) = mha.Call(x, x, x);
        mha.Eval();
        var (_, evalWeights) = mha.Call(x, x, x);
        Fixture.AssertClose(Tensor.Ones([2, 4]), evalWeights!.Sum(-1), "eval weights sum to 1", 1e-6, 1e-6);
        Assert.NotEqual(evalWeights.ToArray<float>(), trainWeights!.ToArray<float>());
    }

    [Fact]
    public void Bad_shapes_name_the_layer_and_the_shapes()
    {
        var mha = new MultiheadAttention(8, 2);
        var ex = Assert.Throws<ShapeException>(() => mha.Call(Tensor.Zeros(5, 2, 6), Tensor.Zeros(5, 2, 8), Tensor.Zeros(5, 2, 8)));
        Assert.Contains("MultiheadAttention", ex.Message);
        Assert.Contains("[5, 2, 6]", ex.Message);
        Assert.Throws<ShapeException>(() => mha.Call(Tensor.Zeros(5, 2, 8), Tensor.Zeros(4, 2, 8), Tensor.Zeros(4, 2, 8), Tensor.Zeros([2, 5], DType.Bool)));
        Assert.Throws<ShapeException>(() => mha.Call(Tensor.Zeros(5, 2, 8), Tensor.Zeros(4, 2, 8), Tensor.Zeros(4, 2, 8), attnMask: Tensor.Zeros(4, 5)));
        Assert.Throws<ArgumentException>(() => new MultiheadAttention(8, 3));
    }
}
