using System.Text.Json;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>
/// Functional.ScaledDotProductAttention: the fused float32 kernel and the composite path, each against PyTorch 2's
/// definition (tests/fixtures/attention.json, "sdpa" cases, computed in float64 by make_attention_fixtures.py),
/// against each other on shapes that cross the kernel's tiles, in float64 GradChecks, and on bad input.
/// </summary>
public class ScaledDotProductAttentionTests
{
    public static TheoryData<string, bool> SdpaCases
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var name in AttentionTests.Cases.Where(c => c.Value.GetProperty("kind").GetString() == "sdpa").Select(c => c.Key))
            {
                data.Add(name, true);
                data.Add(name, false);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(SdpaCases))]
    public void Sdpa_matches_pytorch_definition(string name, bool fused)
    {
        var c = AttentionTests.Cases[name];
        var args = c.GetProperty("args");
        bool causal = args.GetProperty("isCausal").GetBoolean();
        double? scale = args.GetProperty("scale").ValueKind == JsonValueKind.Null ? null : args.GetProperty("scale").GetDouble();
        var query = AttentionTests.Load(c.GetProperty("query")).RequiresGrad_();
        var key = AttentionTests.Load(c.GetProperty("key")).RequiresGrad_();
        var value = AttentionTests.Load(c.GetProperty("value")).RequiresGrad_();
        var mask = AttentionTests.Optional(c, "attn_mask");
        var output = fused
            ? F.ScaledDotProductAttention(query, key, value, mask, isCausal: causal, scale: scale)
            : F.CompositeAttention(query, key, value, mask, 0, causal, scale ?? 1 / Math.Sqrt(query.Size(-1)), null);
        Assert.Equal(fused ? "ScaledDotProductFlashAttentionForCpuBackward0" : "MatMulBackward0", output.GradFn!.Name);
        Fixture.AssertClose(AttentionTests.Load(c.GetProperty("output")), output, $"{name} output", 1e-5, 1e-5);
        output.Backward(AttentionTests.Load(c.GetProperty("grad_output")));
        var inputs = new Dictionary<string, Tensor> { ["query"] = query, ["key"] = key, ["value"] = value };
        foreach (var grad in c.GetProperty("grads").EnumerateObject())
            Fixture.AssertClose(AttentionTests.Load(grad.Value), inputs[grad.Name].Grad, $"{name} grad of {grad.Name}", 1e-4, 1e-5);
    }

    /// <summary>Fused against composite, output and the three gradients, float32.</summary>
    static void AssertFusedMatchesComposite(int seed, int[] batch, int seqL, int seqS, int headDim, int valueDim, Func<Generator, Tensor?>? makeMask = null, bool causal = false)
    {
        var g = new Generator(seed);
        var q = Tensor.Randn([.. batch, seqL, headDim], DType.Float32, g);
        var k = Tensor.Randn([.. batch, seqS, headDim], DType.Float32, g);
        var v = Tensor.Randn([.. batch, seqS, valueDim], DType.Float32, g);
        var mask = makeMask?.Invoke(g);
        var upstream = Tensor.Randn([.. batch, seqL, valueDim], DType.Float32, g);
        (Tensor Output, Tensor?[] Grads) Run(bool fused)
        {
            var inputs = new[] { q.Clone().RequiresGrad_(), k.Clone().RequiresGrad_(), v.Clone().RequiresGrad_() };
            var output = fused
                ? F.ScaledDotProductAttention(inputs[0], inputs[1], inputs[2], mask, isCausal: causal)
                : F.CompositeAttention(inputs[0], inputs[1], inputs[2], mask, 0, causal, 1 / Math.Sqrt(headDim), null);
            output.Backward(upstream);
            return (output, [.. inputs.Select(t => t.Grad)]);
        }
        var (fusedOutput, fusedGrads) = Run(true);
        var (compositeOutput, compositeGrads) = Run(false);
        string shape = $"[{string.Join(", ", batch)}] L={seqL} S={seqS} E={headDim} Ev={valueDim}";
        Fixture.AssertClose(compositeOutput, fusedOutput, $"{shape} output", 1e-4, 1e-5);
        string[] names = ["query", "key", "value"];
        for (int i = 0; i < 3; i++) Fixture.AssertClose(compositeGrads[i]!, fusedGrads[i], $"{shape} grad of {names[i]}", 1e-4, 1e-4);
    }

    [Fact]
    public void Fused_matches_composite_across_tiles() =>
        AssertFusedMatchesComposite(1, [2, 2], 130, 70, 16, 8);

    [Fact]
    public void Fused_matches_composite_causal_across_tiles()
    {
        AssertFusedMatchesComposite(2, [3], 150, 150, 8, 12, causal: true);
        AssertFusedMatchesComposite(3, [2], 70, 140, 8, 4, causal: true);
        AssertFusedMatchesComposite(4, [2], 140, 65, 8, 4, causal: true);
    }

    [Fact]
    public void Fused_matches_composite_with_masks_across_tiles()
    {
        // A Bool padding mask per batch entry (shared by the heads), and a float mask shared by everything.
        AssertFusedMatchesComposite(5, [2, 3], 70, 100, 8, 8, g => Tensor.Rand([2, 1, 1, 100], DType.Float32, g).Lt(0.7).LogicalOr(Tensor.Arange(100).Lt(1)));
        AssertFusedMatchesComposite(6, [2, 3], 66, 129, 4, 8, g => Tensor.Randn([66, 129], DType.Float32, g));
        AssertFusedMatchesComposite(7, [], 80, 80, 8, 8, g => Tensor.Randn([80, 80], DType.Float32, g).Gt(0).LogicalOr(Tensor.Eye(80).Gt(0)));
    }

    [Fact]
    public void Fused_backward_under_createGraph_is_differentiable_and_matches_composite()
    {
        var g = new Generator(8);
        var q = Tensor.Randn([2, 5, 4], DType.Float32, g);
        var k = Tensor.Randn([2, 6, 4], DType.Float32, g);
        var v = Tensor.Randn([2, 6, 3], DType.Float32, g);
        Tensor SecondOrder(bool fused)
        {
            var (qq, kk, vv) = (q.Clone().RequiresGrad_(), k.Clone().RequiresGrad_(), v.Clone().RequiresGrad_());
            var output = fused ? F.ScaledDotProductAttention(qq, kk, vv, isCausal: true) : F.CompositeAttention(qq, kk, vv, null, 0, true, 0.5, null);
            var gradQuery = Autograd.Grad(output.Pow(2).Sum(), qq, createGraph: true);
            gradQuery.Pow(2).Sum().Backward();
            return Tensor.Cat([kk.Grad!.Flatten(), vv.Grad!.Flatten()]);
        }
        Fixture.AssertClose(SecondOrder(false), SecondOrder(true), "second-order gradients", 1e-4, 1e-5);
    }

    [Fact]
    public void Sdpa_gradcheck_in_float64()
    {
        var g = new Generator(9);
        Tensor Input(params int[] shape) => Tensor.Randn(shape, DType.Float64, g, requiresGrad: true);
        var boolMask = Tensor.From(new[] { true, false, true, true, false, true, true, true, false, false, true, false }, [3, 4]);
        var floatMask = Tensor.Randn([2, 1, 3, 4], DType.Float64, g);
        Assert.True(Autograd.GradCheck(t => F.ScaledDotProductAttention(t[0], t[1], t[2], boolMask), [Input(2, 2, 3, 5), Input(2, 2, 4, 5), Input(2, 2, 4, 3)]));
        Assert.True(Autograd.GradCheck(t => F.ScaledDotProductAttention(t[0], t[1], t[2], floatMask, scale: 0.7), [Input(2, 2, 3, 5), Input(2, 2, 4, 5), Input(2, 2, 4, 3)]));
        Assert.True(Autograd.GradCheck(t => F.ScaledDotProductAttention(t[0], t[1], t[2], isCausal: true), [Input(2, 4, 3), Input(1, 3, 3), Input(1, 3, 1)]));
        Assert.True(Autograd.GradCheck(t => F.ScaledDotProductAttention(t[0], t[1], t[2], t[3]), [Input(2, 3, 4), Input(2, 5, 4), Input(2, 5, 2), Input(3, 5)]));
    }

    [Fact]
    public void A_query_that_sees_no_key_gives_zero_output_and_zero_gradient()
    {
        var mask = Tensor.From(new[] { true, true, false, false, false, false }, [3, 2]).Expand(3, 2); // rows 1 and 2 see nothing
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var g = new Generator(10);
            var q = Tensor.Randn([1, 3, 4], dtype, g, requiresGrad: true);
            var k = Tensor.Randn([1, 2, 4], dtype, g, requiresGrad: true);
            var v = Tensor.Randn([1, 2, 3], dtype, g, requiresGrad: true);
            var output = F.ScaledDotProductAttention(q, k, v, mask);
            output.Sum().Backward();
            Assert.Equal(new double[6], output[0, 1..].ToArray<double>());
            Assert.Equal(new double[8], q.Grad![0, 1..].ToArray<double>());
            Assert.True(output.IsFinite().All().Item<bool>() && k.Grad!.IsFinite().All().Item<bool>() && v.Grad!.IsFinite().All().Item<bool>());
        }
    }

    [Fact]
    public void Dropout_zeroes_weights_with_the_given_generator()
    {
        var g = new Generator(11);
        var q = Tensor.Randn([2, 5, 4], DType.Float32, g);
        var k = Tensor.Randn([2, 6, 4], DType.Float32, g);
        var v = Tensor.Ones([2, 6, 1]);
        var plain = F.ScaledDotProductAttention(q, k, v);
        var first = F.ScaledDotProductAttention(q, k, v, dropoutP: 0.5, generator: new Generator(12));
        var second = F.ScaledDotProductAttention(q, k, v, dropoutP: 0.5, generator: new Generator(12));
        Fixture.AssertClose(Tensor.Ones([2, 5, 1]), plain, "weights sum to 1", 1e-6, 1e-6);
        Assert.Equal(first.ToArray<float>(), second.ToArray<float>());
        Assert.NotEqual(plain.ToArray<float>(), first.ToArray<float>());
    }

    [Fact]
    public void Bad_arguments_name_the_op_and_shapes()
    {
        var q = Tensor.Zeros(2, 3, 4);
        var k = Tensor.Zeros(2, 5, 4);
        var v = Tensor.Zeros(2, 5, 6);
        var ex = Assert.Throws<ShapeException>(() => F.ScaledDotProductAttention(q, Tensor.Zeros(2, 5, 3), v));
        Assert.Contains("ScaledDotProductAttention", ex.Message);
        Assert.Contains("[2, 5, 3]", ex.Message);
        Assert.Throws<ShapeException>(() => F.ScaledDotProductAttention(q, k, Tensor.Zeros(2, 4, 6)));
        Assert.Throws<ShapeException>(() => F.ScaledDotProductAttention(q, k, v, Tensor.Zeros([3, 4], DType.Bool)));
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, v, Tensor.Zeros([3, 5], DType.Bool), isCausal: true));
        Assert.Throws<DTypeException>(() => F.ScaledDotProductAttention(q, k.Double(), v));
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, v, dropoutP: 1.5));
    }

    [Fact]
    public void Kernel_output_does_not_depend_on_how_heads_are_batched()
    {
        // The work is split by heads and query blocks, never inside a row: the result does not depend on the split.
        var g = new Generator(13);
        var q = Tensor.Randn([8, 130, 16], DType.Float32, g);
        var k = Tensor.Randn([8, 130, 16], DType.Float32, g);
        var v = Tensor.Randn([8, 130, 16], DType.Float32, g);
        var output = F.ScaledDotProductAttention(q, k, v, isCausal: true);
        var perHead = Tensor.Cat([.. Enumerable.Range(0, 8).Select(h => F.ScaledDotProductAttention(q[h..(h + 1)], k[h..(h + 1)], v[h..(h + 1)], isCausal: true))]);
        Assert.Equal(perHead.ToArray<float>(), output.ToArray<float>());
    }
}
