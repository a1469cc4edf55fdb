using System.Text.Json;
using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>
/// The Transformer layers against torch.nn 1.13 (tests/fixtures/attention.json): TransformerEncoderLayer,
/// TransformerDecoderLayer, TransformerEncoder, TransformerDecoder and Transformer with PyTorch's state dict loaded
/// by name, in evaluation mode (dropout 0.1, off) and training mode (dropout 0), post- and pre-norm, ReLU and GELU,
/// sequence- and batch-first, every kind of mask; outputs and the gradients of the inputs and of every parameter.
/// Plus the positional encodings, GenerateSquareSubsequentMask and a float64 GradCheck.
/// </summary>
public class TransformerTests
{
    static readonly string[] Kinds = ["encoder_layer", "decoder_layer", "encoder", "decoder", "transformer"];

    public static TheoryData<string> TransformerCases =>
        [.. AttentionTests.Cases.Where(c => Kinds.Contains(c.Value.GetProperty("kind").GetString())).Select(c => c.Key)];

    const double Rtol = 1e-4, Atol = 2e-5;

    [Theory]
    [MemberData(nameof(TransformerCases))]
    public void Transformer_module_matches_pytorch(string name)
    {
        var c = AttentionTests.Cases[name];
        var a = c.GetProperty("args");
        int Int(string key) => a.GetProperty(key).GetInt32();
        bool Flag(string key) => a.GetProperty(key).GetBoolean();
        int d = Int("dModel"), heads = Int("nhead"), ff = Int("dimFeedforward");
        double dropout = a.GetProperty("dropout").GetDouble();
        string activation = a.GetProperty("activation").GetString()!;
        bool batchFirst = Flag("batchFirst"), normFirst = Flag("normFirst");
        TransformerEncoderLayer EncoderLayer() => new(d, heads, ff, dropout, activation, batchFirst: batchFirst, normFirst: normFirst);
        TransformerDecoderLayer DecoderLayer() => new(d, heads, ff, dropout, activation, batchFirst: batchFirst, normFirst: normFirst);
        string kind = c.GetProperty("kind").GetString()!;
        Module module = kind switch
        {
            "encoder_layer" => EncoderLayer(),
            "decoder_layer" => DecoderLayer(),
            "encoder" => new TransformerEncoder(EncoderLayer(), Int("numLayers"), Flag("norm") ? new LayerNorm(d) : null),
            "decoder" => new TransformerDecoder(DecoderLayer(), Int("numLayers"), Flag("norm") ? new LayerNorm(d) : null),
            _ => new Transformer(d, heads, Int("numEncoderLayers"), Int("numDecoderLayers"), ff, dropout, activation, batchFirst: batchFirst, normFirst: normFirst),
        };
        var state = Fixture.Tensors(c.GetProperty("params"));
        Assert.Equal(state.Keys, module.NamedParameters().Select(p => p.Name)); // PyTorch's names and order
        module.LoadStateDict(state);
        module.Train(c.GetProperty("train").GetBoolean());

        var x = AttentionTests.Load(c.GetProperty("inputs").GetProperty("x")).RequiresGrad_();
        var memory = c.GetProperty("inputs").TryGetProperty("memory", out var m) ? AttentionTests.Load(m).RequiresGrad_() : null;
        var masks = c.GetProperty("masks");
        Tensor? Mask(string key) => AttentionTests.Optional(masks, key);
        var output = module switch
        {
            TransformerEncoderLayer layer => layer.Call(x, Mask("src_mask"), Mask("src_key_padding_mask")),
            TransformerEncoder encoder => encoder.Call(x, Mask("src_mask"), Mask("src_key_padding_mask")),
            TransformerDecoderLayer layer => layer.Call(x, memory!, Mask("tgt_mask"), Mask("memory_mask"), Mask("tgt_key_padding_mask"), Mask("memory_key_padding_mask")),
            TransformerDecoder decoder => decoder.Call(x, memory!, Mask("tgt_mask"), Mask("memory_mask"), Mask("tgt_key_padding_mask"), Mask("memory_key_padding_mask")),
            Transformer transformer => transformer.Call(memory!, x, Mask("src_mask"), Mask("tgt_mask"), Mask("memory_mask"),
                Mask("src_key_padding_mask"), Mask("tgt_key_padding_mask"), Mask("memory_key_padding_mask")),
            _ => throw new NotSupportedException(kind),
        };
        Fixture.AssertClose(AttentionTests.Load(c.GetProperty("output")), output, $"{name} output", Rtol, Atol);
        output.Backward(AttentionTests.Load(c.GetProperty("grad_output")));
        var parameters = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var grad in c.GetProperty("grads").EnumerateObject())
        {
            var actual = grad.Name switch { "x" => x.Grad, "memory" => memory!.Grad, var p => parameters[p].Grad };
            Fixture.AssertClose(AttentionTests.Load(grad.Value), actual, $"{name} grad of {grad.Name}", Rtol, Atol);
        }
    }

    [Fact]
    public void GenerateSquareSubsequentMask_is_minus_infinity_above_the_diagonal()
    {
        var mask = Transformer.GenerateSquareSubsequentMask(3);
        float inf = float.NegativeInfinity;
        Assert.Equal(new float[] { 0, inf, inf, 0, 0, inf, 0, 0, 0 }, mask.ToArray<float>());
    }

    [Fact]
    public void Encoder_layers_are_copies_of_the_given_layer()
    {
        var layer = new TransformerEncoderLayer(8, 2, 16);
        var encoder = new TransformerEncoder(layer, 3);
        Assert.Equal(3, encoder.Layers.Count);
        var first = ((TransformerEncoderLayer)encoder.Layers[0]).Linear1.Weight;
        var third = ((TransformerEncoderLayer)encoder.Layers[2]).Linear1.Weight;
        Assert.Equal(layer.Linear1.Weight.ToArray<float>(), third.ToArray<float>());
        Assert.NotSame(first, third);
        Assert.NotSame(layer.Linear1.Weight, first);
    }

    [Fact]
    public void Transformer_reinitialises_matrices_xavier_uniform()
    {
        var model = new Transformer(16, 2, 1, 1, 32);
        var w = model.Decoder.Layers[0] is TransformerDecoderLayer l ? l.Linear1.Weight : throw new InvalidOperationException();
        double bound = Math.Sqrt(6.0 / (16 + 32));
        Assert.True(w.Abs().Max().Item<float>() <= bound);
        Assert.True(w.Abs().Max().Item<float>() > 0.8 * bound); // spread over the whole Xavier range, not Linear's ±1/4
    }

    [Fact]
    public void Encoder_layer_gradcheck_in_float64_with_masks()
    {
        var layer = new TransformerEncoderLayer(4, 2, 6, dropout: 0, activation: "gelu", batchFirst: true, normFirst: true, dtype: DType.Float64);
        var causal = Transformer.GenerateSquareSubsequentMask(3, DType.Float64);
        var padding = Tensor.From(new[] { false, false, true, false, false, false }, [2, 3]);
        Assert.True(Autograd.GradCheck(t => layer.Call(t[0], causal, padding), [Tensor.Randn([2, 3, 4], DType.Float64, new Generator(1), requiresGrad: true)]));
    }

    [Fact]
    public void Decoder_layer_gradcheck_in_float64()
    {
        var layer = new TransformerDecoderLayer(4, 2, 6, dropout: 0, dtype: DType.Float64);
        var causal = Transformer.GenerateSquareSubsequentMask(3, DType.Float64);
        var g = new Generator(2);
        Assert.True(Autograd.GradCheck(t => layer.Call(t[0], t[1], causal, tgtIsCausal: true),
            [Tensor.Randn([3, 2, 4], DType.Float64, g, requiresGrad: true), Tensor.Randn([4, 2, 4], DType.Float64, g, requiresGrad: true)]));
    }

    [Fact]
    public void PositionalEncoding_table_matches_the_course()
    {
        var c = AttentionTests.Cases["positional_encoding_d8"];
        var a = c.GetProperty("args");
        var encoding = new PositionalEncoding(a.GetProperty("numHiddens").GetInt32(), 0, a.GetProperty("maxLen").GetInt32());
        Fixture.AssertClose(AttentionTests.Load(c.GetProperty("table")), encoding.P, "table", 1e-6, 1e-6);
        Fixture.AssertClose(AttentionTests.Load(c.GetProperty("output")), encoding.Call(AttentionTests.Load(c.GetProperty("x"))), "output", 1e-6, 1e-6);
        Assert.Empty(encoding.StateDict()); // d2l keeps the table out of the state dict
        Assert.Equal(["P"], encoding.NamedBuffers().Select(b => b.Name.ToUpperInvariant()));
        Assert.Throws<ShapeException>(() => encoding.Call(Tensor.Zeros(1, 13, 8)));
    }

    [Fact]
    public void PositionalEncoding_with_an_odd_width_has_one_more_sine_column()
    {
        var table = new PositionalEncoding(5, maxLen: 4).P;
        Assert.Equal(new[] { 1, 4, 5 }, table.Shape.ToArray());
        Assert.Equal(Math.Sin(3 / Math.Pow(10000, 4 / 5.0)), table[0, 3, 4].Item<float>(), 5);
        Assert.Equal(Math.Cos(3 / Math.Pow(10000, 2 / 5.0)), table[0, 3, 3].Item<float>(), 5);
    }

    [Fact]
    public void LearnedPositionalEncoding_adds_its_first_rows_and_learns_them()
    {
        var encoding = new LearnedPositionalEncoding(4, maxLen: 10);
        Assert.Equal(["pos_embedding"], encoding.NamedParameters().Select(p => p.Name));
        var x = Tensor.Randn([2, 3, 4], DType.Float32, new Generator(3));
        var y = encoding.Call(x);
        Fixture.AssertClose(x + encoding.PosEmbedding[.., ..3].Detach(), y, "output", 1e-6, 1e-6);
        y.Sum().Backward();
        var grad = encoding.PosEmbedding.Grad!;
        Assert.Equal(2f, grad[0, 2, 0].Item<float>()); // summed over the batch
        Assert.Equal(0f, grad[0, 3..].Abs().Sum().Item<float>()); // rows past T get nothing
    }

    [Fact]
    public void Silu_matches_pytorch_and_passes_gradcheck()
    {
        var c = AttentionTests.Cases["silu_float64"];
        var x = AttentionTests.Load(c.GetProperty("x")).RequiresGrad_();
        var output = new SiLU().Call(x);
        Fixture.AssertClose(AttentionTests.Load(c.GetProperty("output")), output, "silu", 1e-12, 1e-12);
        output.Backward(AttentionTests.Load(c.GetProperty("grad_output")));
        Fixture.AssertClose(AttentionTests.Load(c.GetProperty("grad_x")), x.Grad, "silu grad", 1e-12, 1e-12);
        Assert.True(Autograd.GradCheck(t => Functional.Silu(t[0]), [Tensor.Randn([5], DType.Float64, new Generator(4), requiresGrad: true)]));
    }
}
