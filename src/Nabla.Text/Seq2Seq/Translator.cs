namespace Nabla.Text.Seq2Seq;

/// <summary>
/// Translating with a trained <see cref="EncoderDecoder"/> (d2l §9.7.4 <c>predict_seq2seq</c>, §9.8 beam search):
/// the decoder starts from &lt;bos&gt; and is fed its own predictions until it emits &lt;eos&gt; or reaches the
/// number of steps. Runs in evaluation mode without recording gradients.
/// </summary>
public static class Translator
{
    /// <summary>Greedy decoding of one sentence (d2l's <c>predict_seq2seq</c>): the most likely token at every step.</summary>
    /// <param name="net">The trained model.</param>
    /// <param name="source">The encoded source sentence (<see cref="SourceSentence.Encode"/>).</param>
    /// <param name="tgtVocab">The target vocabulary.</param>
    /// <param name="numSteps">Most tokens to decode, &lt;eos&gt; included.</param>
    public static Translation PredictSeq2Seq(EncoderDecoder net, SourceSentence source, Vocab tgtVocab, int numSteps) =>
        BeamSearch(net, source, tgtVocab, numSteps, beamWidth: 1, alpha: 0);

    /// <summary>
    /// Beam search (d2l §9.8.3): at every step the <paramref name="beamWidth"/> most probable continuations of the
    /// hypotheses still open are kept; a continuation by &lt;eos&gt; closes its hypothesis. Of the closed hypotheses
    /// and those still open after <paramref name="numSteps"/> steps, the one with the highest
    /// log P / L^<paramref name="alpha"/> wins, L counting its tokens with &lt;eos&gt;. Width 1 is greedy decoding.
    /// </summary>
    /// <param name="net">The trained model.</param>
    /// <param name="source">The encoded source sentence.</param>
    /// <param name="tgtVocab">The target vocabulary.</param>
    /// <param name="numSteps">Most tokens to decode, &lt;eos&gt; included.</param>
    /// <param name="beamWidth">Hypotheses kept at every step (k); at least 1.</param>
    /// <param name="alpha">Length normalisation exponent α (d2l: 0.75); 0 compares raw log-probabilities.</param>
    public static Translation BeamSearch(EncoderDecoder net, SourceSentence source, Vocab tgtVocab, int numSteps, int beamWidth = 4, double alpha = 0.75)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(tgtVocab);
        if (beamWidth < 1) throw new ArgumentException($"BeamSearch: beamWidth must be at least 1, got {beamWidth}.", nameof(beamWidth));
        if (numSteps < 1) throw new ArgumentException($"BeamSearch: numSteps must be at least 1, got {numSteps}.", nameof(numSteps));
        using var noGrad = Autograd.NoGrad();
        net.Eval();
        int eos = tgtVocab[Vocab.EosToken];
        var state = Start(net, [source]);
        var alive = new List<Hypothesis> { new([], 0, [], Closed: false) };
        var closed = new List<Hypothesis>();
        for (int step = 0; step < numSteps && alive.Count > 0; step++)
        {
            var input = Tensor.From(alive.Select(h => (long)(h.Tokens.Count == 0 ? tgtVocab[Vocab.BosToken] : h.Tokens[^1])).ToArray(), alive.Count, 1);
            var (logits, next) = net.Decoder.Forward(input, state);
            int vocabSize = logits.Size(-1);
            var logProbs = logits.Reshape(alive.Count, vocabSize).LogSoftmax(1).To(DType.Float64).ToArray<double>();
            var attention = LastAttentionRows(next, alive.Count);
            // The best k of all (hypothesis, token) continuations; ties go to the earlier hypothesis and the smaller index.
            var best = new List<(double Score, int Parent, int Token)>(alive.Count * vocabSize);
            for (int h = 0; h < alive.Count; h++)
                for (int v = 0; v < vocabSize; v++) best.Add((alive[h].Score + logProbs[h * vocabSize + v], h, v));
            var chosen = best.OrderByDescending(c => c.Score).Take(beamWidth).ToList(); // OrderBy is stable
            var open = new List<Hypothesis>();
            var parents = new List<long>();
            foreach (var (score, parent, token) in chosen)
            {
                var weights = attention is null ? alive[parent].Attention : [.. alive[parent].Attention, attention[parent]];
                if (token == eos) closed.Add(new Hypothesis(alive[parent].Tokens, score, weights, Closed: true));
                else
                {
                    open.Add(new Hypothesis([.. alive[parent].Tokens, token], score, weights, Closed: false));
                    parents.Add(parent);
                }
            }
            alive = open;
            if (alive.Count > 0) state = next.Select(Tensor.From(parents.ToArray()));
        }
        closed.AddRange(alive);
        var winner = closed.MaxBy(h => h.Score / Math.Pow(h.Length, alpha))!; // first of equals
        return new Translation(tgtVocab.ToTokens(winner.Tokens), alpha == 0 ? winner.Score : winner.Score / Math.Pow(winner.Length, alpha), AttentionMatrix(winner.Attention));
    }

    /// <summary>
    /// Greedy decoding of many sentences at once, <paramref name="batchSize"/> at a time (the same tokens as
    /// <see cref="PredictSeq2Seq"/> one by one); for corpus BLEU.
    /// </summary>
    /// <returns>The tokens of each translation, without &lt;eos&gt;.</returns>
    public static List<string[]> PredictBatch(EncoderDecoder net, IReadOnlyList<SourceSentence> sources, Vocab tgtVocab, int numSteps, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(tgtVocab);
        if (batchSize < 1) throw new ArgumentException($"PredictBatch: batchSize must be at least 1, got {batchSize}.", nameof(batchSize));
        using var noGrad = Autograd.NoGrad();
        net.Eval();
        int eos = tgtVocab[Vocab.EosToken], bos = tgtVocab[Vocab.BosToken];
        var results = new List<string[]>(sources.Count);
        for (int start = 0; start < sources.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, sources.Count - start);
            var state = Start(net, [.. sources.Skip(start).Take(n)]);
            var outputs = new List<int>[n];
            var done = new bool[n];
            for (int i = 0; i < n; i++) outputs[i] = [];
            var input = Tensor.Full([n, 1], (long)bos, DType.Int64);
            for (int step = 0; step < numSteps && done.Contains(false); step++)
            {
                (var logits, state) = net.Decoder.Forward(input, state);
                input = logits.Reshape(n, -1).ArgMax(1).Reshape(n, 1);
                var predictions = input.ToArray<long>();
                for (int i = 0; i < n; i++)
                {
                    if (done[i]) continue;
                    if (predictions[i] == eos) done[i] = true;
                    else outputs[i].Add((int)predictions[i]);
                }
            }
            foreach (var output in outputs) results.Add(tgtVocab.ToTokens(output));
        }
        return results;
    }

    // The encoder's pass over the sources and the decoder's initial state.
    static DecoderState Start(EncoderDecoder net, IReadOnlyList<SourceSentence> sources)
    {
        int steps = sources[0].Indices.Length;
        var indices = new long[sources.Count * steps];
        var validLens = new long[sources.Count];
        for (int i = 0; i < sources.Count; i++)
        {
            if (sources[i].Indices.Length != steps)
                throw new ArgumentException($"Translator: every source must have {steps} indices, source {i} has {sources[i].Indices.Length}.");
            for (int t = 0; t < steps; t++) indices[i * steps + t] = sources[i].Indices[t];
            validLens[i] = sources[i].ValidLength;
        }
        var x = Tensor.From(indices, sources.Count, steps);
        var lens = Tensor.From(validLens, sources.Count);
        return net.Decoder.InitState(net.Encoder.Forward(x, lens), lens);
    }

    // Each row's weights over the source at the last decoded position, or null without attention.
    static float[][]? LastAttentionRows(DecoderState state, int rows)
    {
        if (state.AttentionWeights is not { } weights) return null;
        var last = weights[.., -1, ..].To(DType.Float32).Contiguous();
        int sourceSteps = last.Size(1);
        var values = last.ToArray<float>();
        var result = new float[rows][];
        for (int r = 0; r < rows; r++) result[r] = values[(r * sourceSteps)..((r + 1) * sourceSteps)];
        return result;
    }

    static Tensor? AttentionMatrix(IReadOnlyList<float[]> rows)
    {
        if (rows.Count == 0) return null;
        return Tensor.From(rows.SelectMany(r => r).ToArray(), rows.Count, rows[0].Length);
    }

    sealed record Hypothesis(List<int> Tokens, double Score, List<float[]> Attention, bool Closed)
    {
        // L of the length normalisation: the tokens, and the <eos> that closed the hypothesis.
        public int Length => Math.Max(1, Tokens.Count + (Closed ? 1 : 0));
    }
}
