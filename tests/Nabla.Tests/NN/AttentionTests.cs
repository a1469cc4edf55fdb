using System.Text.Json;
using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>
/// The course's attention (d2l §9.5, §10.3) against PyTorch (tests/fixtures/attention.json, made by
/// make_attention_fixtures.py): SequenceMask, MaskedSoftmax, AdditiveAttention and
/// DotProductAttention, outputs, weights and gradients; plus Float64 GradChecks and bad input.
/// </summary>
public class AttentionTests
{
    internal static readonly Dictionary<string, JsonElement> Cases =
        Fixture.Load("attention.json").GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);

    static IEnumerable<string> NamesOf(string kind) =>
        Cases.Where(c => c.Value.GetProperty("kind").GetString() == kind).Select(c => c.Key);

    public static TheoryData<string> SequenceMaskCases => [.. NamesOf("sequence_mask")];
    public static TheoryData<string> MaskedSoftmaxCases => [.. NamesOf("masked_softmax")];
    public static TheoryData<string> CourseAttentionCases => [.. NamesOf("additive"), .. NamesOf("dot_product")];

    const double Rtol = 1e-5, Atol = 1e-5;

    /// <summary>A fixture tensor, including what <see cref="Fixture.Tensor"/> does not read: Bool masks and "-inf" in float masks.</summary>
    internal static Tensor Load(JsonElement t)
    {
        int[] shape = [.. t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
        var data = t.GetProperty("data").EnumerateArray();
        static double Number(JsonElement e) => e.ValueKind == JsonValueKind.String
            ? e.GetString() switch { "inf" => double.PositiveInfinity, "-inf" => double.NegativeInfinity, _ => double.NaN }
            : e.GetDouble();
        return t.GetProperty("dtype").GetString() switch
        {
            "bool" => Tensor.From(data.Select(e => e.GetBoolean()).ToArray(), shape),
            "float32" => Tensor.From(data.Select(e => (float)Number(e)).ToArray(), shape),
            "float64" => Tensor.From(data.Select(Number).ToArray(), shape),
            _ => Fixture.Tensor(t),
        };
    }

    internal static Tensor? Optional(JsonElement c, string key) => c.TryGetProperty(key, out var t) && t.ValueKind != JsonValueKind.Null ? Load(t) : null;

    [Theory]
    [MemberData(nameof(SequenceMaskCases))]
    public void SequenceMask_matches_d2l(string name)
    {
        var c = Cases[name];
        var output = F.SequenceMask(Load(c.GetProperty("x")), Load(c.GetProperty("valid_len")), c.GetProperty("value").GetDouble());
        Fixture.AssertClose(Load(c.GetProperty("output")), output, name, 0, 0);
    }

    [Theory]
    [MemberData(nameof(MaskedSoftmaxCases))]
    public void MaskedSoftmax_matches_d2l(string name)
    {
        var c = Cases[name];
        var x = Load(c.GetProperty("x")).RequiresGrad_();
        var output = F.MaskedSoftmax(x, Optional(c, "valid_lens"));
        Fixture.AssertClose(Load(c.GetProperty("output")), output, name, Rtol, 1e-6);
        output.Backward(Load(c.GetProperty("grad_output")));
        Fixture.AssertClose(Load(c.GetProperty("grad_x")), x.Grad, $"{name} grad", Rtol, 1e-6);
    }

    [Theory]
    [MemberData(nameof(CourseAttentionCases))]
    public void Course_attention_matches_d2l(string name)
    {
        var c = Cases[name];
        var queries = Load(c.GetProperty("queries")).RequiresGrad_();
        var keys = Load(c.GetProperty("keys")).RequiresGrad_();
        var values = Load(c.GetProperty("values")).RequiresGrad_();
        var validLens = Optional(c, "valid_lens");
        Module module;
        Tensor output, weights;
        if (c.GetProperty("kind").GetString() == "additive")
        {
            var additive = new AdditiveAttention(keys.Size(-1), queries.Size(-1), c.GetProperty("args").GetProperty("hidden").GetInt32());
            output = Run(additive, () => additive.Call(queries, keys, values, validLens));
            weights = additive.AttentionWeights!;
            module = additive;
        }
        else
        {
            var dot = new DotProductAttention(0);
            output = dot.Call(queries, keys, values, validLens);
            weights = dot.AttentionWeights!;
            module = dot;
        }
        Fixture.AssertClose(Load(c.GetProperty("output")), output, $"{name} output", Rtol, Atol);
        Fixture.AssertClose(Load(c.GetProperty("weights")), weights, $"{name} weights", Rtol, Atol);
        ((output * Load(c.GetProperty("grad_output"))).Sum() + (weights * Load(c.GetProperty("grad_weights"))).Sum()).Backward();
        var parameters = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var grad in c.GetProperty("grads").EnumerateObject())
        {
            var actual = grad.Name switch { "queries" => queries.Grad, "keys" => keys.Grad, "values" => values.Grad, var p => parameters[p].Grad };
            Fixture.AssertClose(Load(grad.Value), actual, $"{name} grad of {grad.Name}", Rtol, Atol);
        }

        Tensor Run(AdditiveAttention m, Func<Tensor> forward)
        {
            var state = Fixture.Tensors(c.GetProperty("params"));
            Assert.Equal(state.Keys.Order(), m.NamedParameters().Select(p => p.Name).Order()); // d2l's names
            m.LoadStateDict(state);
            return forward();
        }
    }

    [Fact]
    public void MaskedSoftmax_gradcheck_with_lengths_per_row()
    {
        var lens = Tensor.From(new long[] { 1, 3, 2, 4 }, [2, 2]);
        Assert.True(Autograd.GradCheck(t => F.MaskedSoftmax(t[0], lens), [Tensor.Randn([2, 2, 4], DType.Float64, new Generator(1), requiresGrad: true)]));
    }

    [Fact]
    public void AdditiveAttention_gradcheck_in_float64()
    {
        var attention = new AdditiveAttention(3, 2, 4, dtype: DType.Float64);
        var lens = Tensor.From(new long[] { 2, 3 }, [2]);
        var g = new Generator(2);
        Assert.True(Autograd.GradCheck(t => attention.Call(t[0], t[1], t[2], lens),
            [Tensor.Randn([2, 2, 2], DType.Float64, g, true), Tensor.Randn([2, 3, 3], DType.Float64, g, true), Tensor.Randn([2, 3, 2], DType.Float64, g, true)]));
    }

    [Fact]
    public void DotProductAttention_gradcheck_in_float64()
    {
        var attention = new DotProductAttention();
        var lens = Tensor.From(new long[] { 1, 2, 3, 3 }, [2, 2]);
        var g = new Generator(3);
        Assert.True(Autograd.GradCheck(t => attention.Call(t[0], t[1], t[2], lens),
            [Tensor.Randn([2, 2, 4], DType.Float64, g, true), Tensor.Randn([2, 3, 4], DType.Float64, g, true), Tensor.Randn([2, 3, 2], DType.Float64, g, true)]));
    }

    [Fact]
    public void Attention_dropout_acts_only_in_training()
    {
        var attention = new DotProductAttention(0.5, new Generator(4));
        var g = new Generator(5);
        var q = Tensor.Randn([2, 3, 4], DType.Float32, g);
        var k = Tensor.Randn([2, 5, 4], DType.Float32, g);
        var v = Tensor.Randn([2, 5, 3], DType.Float32, g);
        var train = attention.Call(q, k, v);
        attention.Eval();
        var eval = attention.Call(q, k, v);
        Fixture.AssertClose(attention.AttentionWeights!.MatMul(v), eval, "eval output", 1e-6, 1e-6);
        Assert.NotEqual(eval.ToArray<float>(), train.ToArray<float>());
    }

    [Fact]
    public void MaskedSoftmax_rejects_lengths_of_the_wrong_shape()
    {
        var ex = Assert.Throws<ShapeException>(() => F.MaskedSoftmax(Tensor.Zeros(2, 3, 4), Tensor.Zeros(3)));
        Assert.Contains("MaskedSoftmax", ex.Message);
        Assert.Contains("[2, 3, 4]", ex.Message);
        Assert.Throws<ShapeException>(() => F.SequenceMask(Tensor.Zeros(2, 3), Tensor.Zeros(3)));
        Assert.Throws<ShapeException>(() => new AdditiveAttention(3, 2, 4).Call(Tensor.Zeros(2, 1, 2), Tensor.Zeros(2, 4, 3), Tensor.Zeros(2, 5, 1)));
    }
}
