using System.Text.Json;
using Nabla.Optim;
using Nabla.Tests.NN;
using Nabla.Tests.TestSupport;
using Nabla.Text;
using Nabla.Text.Seq2Seq;

namespace Nabla.Tests.Text;

/// <summary>
/// The course's encoder–decoders against d2l's PyTorch code (tests/fixtures/seq2seq.json, made by
/// make_seq2seq_fixtures.py): MaskedSoftmaxCELoss, the GRU and Bahdanau models' logits, attention weights,
/// loss and every parameter's gradient; then training on a few pairs, greedy and beam-search decoding.
/// </summary>
[Collection(DefaultGeneratorCollection.Name)]
public class Seq2SeqModelTests
{
    static readonly Dictionary<string, JsonElement> Cases =
        Fixture.Load("seq2seq.json").GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);

    [Theory]
    [InlineData("masked_ce")]
    [InlineData("masked_ce_d2l")]
    public void MaskedSoftmaxCELoss_matches_d2l(string name)
    {
        var c = Cases[name];
        var pred = Fixture.Tensor(c.GetProperty("pred")).RequiresGrad_();
        var loss = new MaskedSoftmaxCELoss().Forward(pred, Fixture.Tensor(c.GetProperty("label")), Fixture.Tensor(c.GetProperty("valid_len")));
        Fixture.AssertClose(Fixture.Tensor(c.GetProperty("output")), loss, name, 1e-5, 1e-6);
        if (!c.TryGetProperty("grad_pred", out var gradPred)) return;
        loss.Backward(Fixture.Tensor(c.GetProperty("grad_output")));
        Fixture.AssertClose(Fixture.Tensor(gradPred), pred.Grad, $"{name} grad", 1e-5, 1e-6);
    }

    [Fact]
    public void MaskedSoftmaxCELoss_passes_gradcheck_in_float64()
    {
        var label = Tensor.From(new long[] { 1, 0, 2, 2, 1, 0 }, 2, 3);
        var validLen = Tensor.From(new long[] { 3, 1 });
        var pred = Tensor.Randn([2, 3, 4], DType.Float64, new Generator(5), requiresGrad: true);
        Assert.True(Autograd.GradCheck(t => new MaskedSoftmaxCELoss().Forward(t[0], label, validLen), [pred]));
    }

    [Theory]
    [InlineData("gru")]
    [InlineData("bahdanau")]
    public void Encoder_decoder_matches_d2l_logits_attention_loss_and_gradients(string name)
    {
        var c = Cases[name];
        int embed = c.GetProperty("embed").GetInt32(), hidden = c.GetProperty("hidden").GetInt32(), layers = c.GetProperty("layers").GetInt32();
        var net = Build(name, c.GetProperty("src_vocab").GetInt32(), c.GetProperty("tgt_vocab").GetInt32(), embed, hidden, layers);
        net.LoadStateDict(Fixture.Tensors(c.GetProperty("state_dict")));
        Tensor T(string key) => Fixture.Tensor(c.GetProperty(key));

        var (logits, state) = net.Forward(T("X"), T("dec_input"), T("X_valid_len"));
        var loss = new MaskedSoftmaxCELoss().Forward(logits, T("Y"), T("Y_valid_len")).Sum();
        loss.Backward();

        Fixture.AssertClose(T("logits"), logits, $"{name} logits", 1e-4, 1e-5);
        Assert.Equal(c.GetProperty("loss").GetDouble(), loss.Item<float>(), 4);
        if (name == "bahdanau") Fixture.AssertClose(T("attention_weights"), state.AttentionWeights, $"{name} attention", 1e-4, 1e-6);
        else Assert.Null(state.AttentionWeights);
        var parameters = net.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (key, grad) in Fixture.Tensors(c.GetProperty("grads")))
            Fixture.AssertClose(grad, parameters[key].Grad, $"{name} grad {key}", 1e-3, 1e-5);
    }

    [Fact]
    public void Decoders_reject_a_state_from_another_decoder()
    {
        Generator.ManualSeed(0);
        var gru = Build("gru", 7, 7, 4, 4, 1);
        var bahdanau = Build("bahdanau", 7, 7, 4, 4, 1);
        var x = Tensor.From(new long[] { 4, 5, 3 }, 1, 3);
        var state = gru.Decoder.InitState(gru.Encoder.Forward(x), null);
        Assert.Throws<ArgumentException>(() => bahdanau.Decoder.Forward(x, state));
        Assert.Throws<ShapeException>(() => gru.Forward(x, Tensor.From(new long[] { 1, 2 }, 2, 1)));
    }

    [Fact]
    public void Training_overfits_twenty_pairs_and_greedy_and_beam_search_translate_them()
    {
        Generator.ManualSeed(0);
        var pairs = FraEng.ReadPairs(40).Where((_, i) => i % 2 == 0).ToList(); // 20 pairs, every other one
        var data = new TranslationData(pairs, [], numSteps: 6, minFreq: 1);
        var net = Build("bahdanau", data.SrcVocab.Count, data.TgtVocab.Count, 16, 32, 1);
        Seq2SeqTraining.XavierInit(net);
        var optimizer = new Adam(net.Parameters(), lr: 0.02);
        var loader = data.Loader(10, new Generator(1));
        double first = Seq2SeqTraining.TrainEpoch(net, loader, optimizer, data.TgtVocab[Vocab.BosToken]);
        double last = first;
        for (int epoch = 0; epoch < 50; epoch++) last = Seq2SeqTraining.TrainEpoch(net, loader, optimizer, data.TgtVocab[Vocab.BosToken]);

        Assert.True(last < first / 10, $"loss {first} → {last}");
        // Sources with one translation only: the model can learn it exactly.
        var unique = pairs.GroupBy(p => p.SourceText).Where(g => g.Count() == 1).Select(g => g.Single()).ToList();
        var sources = unique.Select(p => SourceSentence.Encode(p.Source, data.SrcVocab, 6)).ToList();
        var batch = Translator.PredictBatch(net, sources, data.TgtVocab, 6, batchSize: 4);
        int exact = 0;
        for (int i = 0; i < unique.Count; i++)
        {
            var greedy = Translator.PredictSeq2Seq(net, sources[i], data.TgtVocab, 6);
            var beam = Translator.BeamSearch(net, sources[i], data.TgtVocab, 6, beamWidth: 3);
            Assert.Equal(greedy.Tokens, batch[i]); // batched greedy = one by one
            if (greedy.Text == unique[i].TargetText && beam.Text == unique[i].TargetText) exact++;
            // Attention weights: one row per decoded step over the 6 source positions, summing to 1, 0 past the valid length.
            var weights = greedy.AttentionWeights!;
            Assert.Equal([greedy.Tokens.Length + 1, 6], weights.Shape.Dims);
            Assert.All(weights.Sum(1).ToArray<float>(), s => Assert.Equal(1, s, 4));
            Assert.All(weights[.., sources[i].ValidLength..].ToArray<float>().Select(Math.Abs), w => Assert.True(w < 1e-5));
        }
        Assert.True(exact >= unique.Count - 1, $"{exact} of {unique.Count} translated exactly");
    }

    [Fact]
    public void Beam_search_of_width_one_is_greedy_and_a_full_width_beam_finds_the_best_normalised_sequence()
    {
        Generator.ManualSeed(7);
        var tgtVocab = new Vocab(["x", "y"], 0, TranslationData.ReservedTokens); // 6 tokens
        var srcVocab = new Vocab(["a", "b"], 0, TranslationData.ReservedTokens);
        var net = Build("gru", srcVocab.Count, tgtVocab.Count, 4, 8, 1);
        int steps = 3;
        var source = SourceSentence.Encode(["a", "b"], srcVocab, 4);

        var greedy = Translator.PredictSeq2Seq(net, source, tgtVocab, steps);
        var width1 = Translator.BeamSearch(net, source, tgtVocab, steps, beamWidth: 1, alpha: 0.75);
        Assert.Equal(greedy.Tokens, width1.Tokens);

        // Every sequence of up to 3 tokens: closed by <eos> (L counts it) or cut at 3 tokens.
        const double alpha = 0.75;
        int v = tgtVocab.Count, eos = tgtVocab[Vocab.EosToken];
        var best = (Score: double.NegativeInfinity, Tokens: Array.Empty<int>());
        var sequences = new List<int[]> { Array.Empty<int>() };
        for (int length = 1; length <= steps; length++)
            sequences.AddRange(sequences.Where(s => s.Length == length - 1).SelectMany(s => Enumerable.Range(0, v).Where(t => t != eos).Select(t => (int[])[.. s, t])).ToList());
        foreach (var tokens in sequences)
        {
            bool closed = tokens.Length < steps;
            double logP = LogProbability(net, source, tokens, closed ? eos : -1, tgtVocab[Vocab.BosToken]);
            double score = logP / Math.Pow(tokens.Length + (closed ? 1 : 0), alpha);
            if (score > best.Score + 1e-9) best = (score, tokens);
        }
        var full = Translator.BeamSearch(net, source, tgtVocab, steps, beamWidth: v * v * v, alpha: alpha);
        Assert.Equal(tgtVocab.ToTokens(best.Tokens), full.Tokens);
        Assert.Equal(best.Score, full.Score, 4);
    }

    [Fact]
    public void Transformer_decoding_step_by_step_matches_one_causal_pass_and_ignores_the_source_padding()
    {
        Generator.ManualSeed(11);
        var net = new EncoderDecoder(new TransformerSeq2SeqEncoder(9, 16, 32, 4, 2, dropout: 0.1), new TransformerSeq2SeqDecoder(10, 16, 32, 4, 2, dropout: 0.1));
        net.Eval();
        using var noGrad = Autograd.NoGrad();
        var source = Tensor.From(new long[] { 4, 5, 6, 3, 1, 1 }, 1, 6);
        var longer = Tensor.From(new long[] { 4, 5, 6, 3, 1, 1, 1, 1, 1 }, 1, 9);
        var validLen = Tensor.From(new long[] { 4 });
        var target = Tensor.From(new long[] { 2, 7, 8, 9, 4 }, 1, 5);

        var (full, fullState) = net.Forward(source, target, validLen);
        var (padded, _) = net.Forward(longer, target, validLen);
        var state = net.Decoder.InitState(net.Encoder.Forward(source, validLen), validLen);
        var steps = new List<Tensor>();
        var weights = new List<Tensor>();
        for (int t = 0; t < 5; t++)
        {
            (var logits, state) = net.Decoder.Forward(target[.., t..(t + 1)], state);
            steps.Add(logits);
            weights.Add(state.AttentionWeights!);
        }

        Fixture.AssertClose(full, Tensor.Cat(steps, 1), "step by step", 1e-4, 1e-5);
        Fixture.AssertClose(full, padded, "more padding", 1e-4, 1e-5);
        Fixture.AssertClose(fullState.AttentionWeights!, Tensor.Cat(weights, 1), "attention step by step", 1e-4, 1e-6);
        Assert.Equal([1, 5, 6], fullState.AttentionWeights!.Shape.Dims);
        Assert.All(fullState.AttentionWeights!.Sum(-1).ToArray<float>(), s => Assert.Equal(1, s, 4));
        Assert.All(fullState.AttentionWeights![.., .., 4..].ToArray<float>(), w => Assert.Equal(0, w));
        net.Train();
        Assert.Null(net.Forward(source, target, validLen).State.AttentionWeights); // weights only in evaluation mode
    }

    // log P(tokens, then end) under teacher forcing: Σ log softmax of each next token.
    static double LogProbability(EncoderDecoder net, SourceSentence source, int[] tokens, int end, int bos)
    {
        using var noGrad = Autograd.NoGrad();
        net.Eval();
        int[] targets = end >= 0 ? [.. tokens, end] : tokens;
        int[] inputs = [bos, .. targets[..^1]];
        var x = Tensor.From(source.Indices.Select(i => (long)i).ToArray(), 1, source.Indices.Length);
        var lens = Tensor.From(new long[] { source.ValidLength });
        var (logits, _) = net.Forward(x, Tensor.From(inputs.Select(i => (long)i).ToArray(), 1, inputs.Length), lens);
        var logProbs = logits[0].LogSoftmax(-1).To(DType.Float64);
        double sum = 0;
        for (int t = 0; t < targets.Length; t++) sum += logProbs[t, targets[t]].Item<double>();
        return sum;
    }

    internal static EncoderDecoder Build(string kind, int srcVocab, int tgtVocab, int embed, int hidden, int layers) => new(
        new Seq2SeqEncoder(srcVocab, embed, hidden, layers),
        kind == "gru" ? new Seq2SeqDecoder(tgtVocab, embed, hidden, layers) : new Seq2SeqAttentionDecoder(tgtVocab, embed, hidden, layers));
}
