using System.Text.Json;
using Nabla.NN;
using Nabla.Tests.NN;
using Nabla.Tests.TestSupport;
using Nabla.Text.Bert;

namespace Nabla.Tests.Text;

/// <summary>
/// BertModel (d2l §15.8) built on Nabla's TransformerEncoderLayer: the course's output shapes, the
/// documented parameter names, and forward, losses and gradients against d2l's BERTModel in PyTorch
/// (tests/fixtures/bert.json, made by tests/fixtures/make_bert_fixtures.py).
/// </summary>
[Collection(DefaultGeneratorCollection.Name)]
public class BertModelTests
{
    static readonly Dictionary<string, JsonElement> Cases =
        Fixture.Load("bert.json").GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Fact]
    public void Course_example_gives_the_courses_shapes()
    {
        // d2l §15.8 with a smaller vocabulary and width: tokens [2, 8], three positions to predict per sequence.
        Generator.ManualSeed(0);
        var net = new BertModel(vocabSize: 1000, numHiddens: 96, ffnNumHiddens: 128, numHeads: 4, numBlks: 2, dropout: 0.2, maxLen: 1000);
        Tensor tokens = Tensor.RandInt(0, 1000, [2, 8]);
        Tensor segments = Tensor.From(new long[] { 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1 }, 2, 8);
        Tensor mlmPositions = Tensor.From(new long[] { 1, 5, 2, 6, 1, 5 }, 2, 3);
        var (encoded, mlm, nsp) = net.Forward(tokens, segments, null, mlmPositions);
        Assert.Equal([2, 8, 96], encoded.Shape.ToArray());
        Assert.Equal([2, 3, 1000], mlm!.Shape.ToArray());
        Assert.Equal([2, 2], nsp.Shape.ToArray());
        var (_, noMlm, _) = net.Forward(tokens, segments, Tensor.From(new long[] { 8, 6 }));
        Assert.Null(noMlm);
        Assert.Throws<ShapeException>(() => net.Forward(Tensor.Zeros([2, 1001], DType.Int64), Tensor.Zeros([2, 1001], DType.Int64)));
    }

    [Fact]
    public void Parameter_names_are_the_documented_ones()
    {
        Generator.ManualSeed(0);
        var names = new BertModel(new BertConfig { VocabSize = 30, NumHiddens = 8, FfnNumHiddens = 16, NumBlks = 1, MaxLen = 16, EmbeddingLayerNorm = true, NormFirst = true })
            .NamedParameters().Select(p => p.Name).ToHashSet();
        string[] expected =
        [
            "encoder.token_embedding.weight", "encoder.segment_embedding.weight", "encoder.pos_embedding",
            "encoder.embedding_norm.weight", "encoder.embedding_norm.bias",
            "encoder.blks.0.self_attn.in_proj_weight", "encoder.blks.0.self_attn.out_proj.weight",
            "encoder.blks.0.linear1.weight", "encoder.blks.0.linear2.weight", "encoder.blks.0.norm1.weight", "encoder.blks.0.norm2.bias",
            "encoder.final_norm.weight", "hidden.0.weight", "hidden.0.bias",
            "mlm.mlp.0.weight", "mlm.mlp.2.weight", "mlm.mlp.2.bias", "mlm.mlp.3.weight", "mlm.mlp.3.bias", "nsp.output.weight", "nsp.output.bias",
        ];
        foreach (string name in expected) Assert.Contains(name, names);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Forward_losses_and_gradients_match_pytorch(string name)
    {
        JsonElement c = Cases[name];
        JsonElement config = c.GetProperty("config");
        var model = new BertModel(new BertConfig
        {
            VocabSize = config.GetProperty("vocabSize").GetInt32(),
            NumHiddens = config.GetProperty("numHiddens").GetInt32(),
            FfnNumHiddens = config.GetProperty("ffnNumHiddens").GetInt32(),
            NumHeads = config.GetProperty("numHeads").GetInt32(),
            NumBlks = config.GetProperty("numBlks").GetInt32(),
            Dropout = config.GetProperty("dropout").GetDouble(),
            MaxLen = config.GetProperty("maxLen").GetInt32(),
            Activation = config.GetProperty("activation").GetString()!,
            NormFirst = config.GetProperty("normFirst").GetBoolean(),
            LayerNormEps = config.GetProperty("layerNormEps").GetDouble(),
            EmbeddingLayerNorm = config.GetProperty("embeddingLayerNorm").GetBoolean(),
        });
        model.LoadStateDict(Fixture.Tensors(c.GetProperty("params")), strict: true);
        Tensor tokens = Fixture.Tensor(c.GetProperty("tokens"));
        Tensor validLens = Fixture.Tensor(c.GetProperty("valid_lens"));
        var batch = new BertBatch(tokens, Fixture.Tensor(c.GetProperty("segments")), validLens, BertEncoder.PaddingMask(validLens, tokens.Size(1)),
            Fixture.Tensor(c.GetProperty("pred_positions")), Fixture.Tensor(c.GetProperty("mlm_weights")), Fixture.Tensor(c.GetProperty("mlm_labels")),
            Fixture.Tensor(c.GetProperty("nsp_labels")));

        var (encoded, mlmLogits, nspLogits) = model.Forward(batch.TokenIds, batch.Segments, batch.ValidLens, batch.PredPositions);
        Fixture.AssertClose(Fixture.Tensor(c.GetProperty("encoded")), encoded, $"{name} encoded", 1e-4, 1e-5);
        Fixture.AssertClose(Fixture.Tensor(c.GetProperty("mlm_logits")), mlmLogits, $"{name} mlm logits", 1e-4, 1e-5);
        Fixture.AssertClose(Fixture.Tensor(c.GetProperty("nsp_logits")), nspLogits, $"{name} nsp logits", 1e-4, 1e-5);

        var (mlm, nsp) = BertPretraining.BatchLoss(model, batch);
        Assert.Equal(c.GetProperty("mlm_loss").GetDouble(), mlm.Item(), 1e-5);
        Assert.Equal(c.GetProperty("nsp_loss").GetDouble(), nsp.Item(), 1e-5);
        (mlm + nsp).Backward();
        var grads = Fixture.Tensors(c.GetProperty("grads"));
        foreach (var (parameterName, parameter) in model.NamedParameters())
            Fixture.AssertClose(grads[parameterName], parameter.Grad, $"{name} grad of {parameterName}", 1e-3, 1e-5);
    }

    [Fact]
    public void Mask_lm_picks_the_rows_of_the_predicted_positions()
    {
        Generator.ManualSeed(0);
        var head = new MaskLM(vocabSize: 5, numHiddens: 4);
        Tensor encoded = Tensor.Randn([2, 3, 4]);
        Tensor logits = head.Forward(encoded, Tensor.From(new long[] { 2, 0, 1, 1 }, 2, 2));
        // Row (b, k) of the output is the MLP of encoded[b, position[b, k]].
        Tensor expected = head.Mlp.Forward(encoded[1, 1, ..].Unsqueeze(0));
        Fixture.AssertClose(expected.Squeeze(0), logits[1, 0, ..], "row (1, 0)", 1e-6, 1e-6);
        Fixture.AssertClose(head.Mlp.Forward(encoded[0, 2, ..].Unsqueeze(0)).Squeeze(0), logits[0, 0, ..], "row (0, 0)", 1e-6, 1e-6);
        Assert.Throws<ShapeException>(() => head.Forward(encoded, Tensor.Zeros([3, 2], DType.Int64)));
    }
}
