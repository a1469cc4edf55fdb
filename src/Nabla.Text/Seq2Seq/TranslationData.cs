using Nabla.Data;

namespace Nabla.Text.Seq2Seq;

/// <summary>
/// A translation data set ready for training (d2l §9.5): training pairs, a held-out test set, the source
/// and target vocabularies (built from the training pairs) and the training sentences as index arrays cut
/// or padded to <see cref="NumSteps"/> tokens with their valid lengths.
/// </summary>
public sealed class TranslationData
{
    /// <summary>The reserved tokens after &lt;unk&gt; (index 0): &lt;pad&gt; 1, &lt;bos&gt; 2, &lt;eos&gt; 3.</summary>
    public static IReadOnlyList<string> ReservedTokens { get; } = [Vocab.PadToken, Vocab.BosToken, Vocab.EosToken];

    /// <summary>The training pairs.</summary>
    public IReadOnlyList<SentencePair> Train { get; }

    /// <summary>The held-out source sentences, each with all of its translations.</summary>
    public IReadOnlyList<HeldOutSentence> Test { get; }

    /// <summary>Vocabulary of the source language.</summary>
    public Vocab SrcVocab { get; }

    /// <summary>Vocabulary of the target language.</summary>
    public Vocab TgtVocab { get; }

    /// <summary>Tokens per sentence, &lt;eos&gt; included.</summary>
    public int NumSteps { get; }

    /// <summary>Training sources Int64 [pairs, NumSteps].</summary>
    public Tensor SrcArray { get; }

    /// <summary>Valid lengths of the training sources Int64 [pairs] (tokens before the padding).</summary>
    public Tensor SrcValidLen { get; }

    /// <summary>Training targets Int64 [pairs, NumSteps].</summary>
    public Tensor TgtArray { get; }

    /// <summary>Valid lengths of the training targets Int64 [pairs].</summary>
    public Tensor TgtValidLen { get; }

    /// <summary>Builds the vocabularies and arrays of <paramref name="train"/>.</summary>
    /// <param name="train">The training pairs; not empty.</param>
    /// <param name="test">The held-out sentences.</param>
    /// <param name="numSteps">Tokens per sentence, &lt;eos&gt; included; at least 1.</param>
    /// <param name="minFreq">Minimum count of a token in the training pairs to enter a vocabulary.</param>
    public TranslationData(IReadOnlyList<SentencePair> train, IReadOnlyList<HeldOutSentence> test, int numSteps, int minFreq = 2)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        if (train.Count == 0) throw new ArgumentException("TranslationData: there are no training pairs.", nameof(train));
        if (numSteps < 1) throw new ArgumentException($"TranslationData: numSteps must be at least 1, got {numSteps}.", nameof(numSteps));
        Train = train;
        Test = test;
        NumSteps = numSteps;
        SrcVocab = new Vocab(train.Select(p => p.Source), minFreq, ReservedTokens);
        TgtVocab = new Vocab(train.Select(p => p.Target), minFreq, ReservedTokens);
        (SrcArray, SrcValidLen) = BuildArray(train.Select(p => p.Source), SrcVocab, numSteps);
        (TgtArray, TgtValidLen) = BuildArray(train.Select(p => p.Target), TgtVocab, numSteps);
    }

    /// <summary>
    /// Shuffled minibatches of the training pairs (d2l's <c>load_array(..., is_train=True)</c>): each
    /// [X, X_valid_len, Y, Y_valid_len]; the last batch may be smaller.
    /// </summary>
    /// <param name="batchSize">Pairs per minibatch.</param>
    /// <param name="generator">Draws each epoch's order; the default generator when null.</param>
    public DataLoader<Tensor[]> Loader(int batchSize, Generator? generator = null) =>
        new(new TensorDataset(SrcArray, SrcValidLen, TgtArray, TgtValidLen), batchSize, shuffle: true, generator: generator, prefetch: 0);

    /// <summary>d2l's <c>truncate_pad</c>: the first <paramref name="numSteps"/> indices, or the line padded with <paramref name="paddingToken"/>.</summary>
    public static int[] TruncatePad(IReadOnlyList<int> line, int numSteps, int paddingToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        var result = new int[numSteps];
        for (int i = 0; i < numSteps; i++) result[i] = i < line.Count ? line[i] : paddingToken;
        return result;
    }

    /// <summary>
    /// d2l's <c>build_array_nmt</c>: each line's indices followed by &lt;eos&gt;, cut or padded to
    /// <paramref name="numSteps"/>; the valid length counts the tokens that are not &lt;pad&gt;.
    /// </summary>
    /// <returns>Int64 [lines, numSteps] and Int64 [lines].</returns>
    public static (Tensor Array, Tensor ValidLen) BuildArray(IEnumerable<IReadOnlyList<string>> lines, Vocab vocab, int numSteps)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(vocab);
        int pad = vocab[Vocab.PadToken], eos = vocab[Vocab.EosToken];
        var rows = new List<int[]>();
        foreach (var line in lines) rows.Add(TruncatePad([.. vocab.Indices(line), eos], numSteps, pad));
        var array = new long[rows.Count * numSteps];
        var validLen = new long[rows.Count];
        for (int r = 0; r < rows.Count; r++)
            for (int t = 0; t < numSteps; t++)
            {
                array[r * numSteps + t] = rows[r][t];
                if (rows[r][t] != pad) validLen[r]++;
            }
        return (Tensor.From(array, rows.Count, numSteps), Tensor.From(validLen, rows.Count));
    }

    /// <summary>
    /// The seeded split into training pairs and a held-out test set. Pairs are grouped by source sentence
    /// (one English sentence often has several translations), the distinct sources are shuffled with
    /// <paramref name="generator"/>, and the first ⌊fraction·sources⌉ of them go to the test set with all
    /// their translations, so that no test sentence is seen in training. Sources listed in
    /// <paramref name="keepInTraining"/> (the course's example sentences, which the course trains on) are never held out.
    /// </summary>
    /// <param name="pairs">All pairs.</param>
    /// <param name="testFraction">Share of distinct sources held out, in [0, 1).</param>
    /// <param name="generator">Draws the shuffle.</param>
    /// <param name="keepInTraining">Source sentences (tokens joined by spaces) that always stay in training.</param>
    public static (List<SentencePair> Train, List<HeldOutSentence> Test) Split(IReadOnlyList<SentencePair> pairs, double testFraction, Generator generator,
        IReadOnlyCollection<string>? keepInTraining = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(generator);
        if (!(testFraction >= 0 && testFraction < 1)) throw new ArgumentException($"Split: testFraction must be in [0, 1), got {testFraction}.", nameof(testFraction));
        var groups = new Dictionary<string, List<SentencePair>>();
        var sources = new List<string>();
        foreach (var pair in pairs)
        {
            string key = pair.SourceText;
            if (!groups.TryGetValue(key, out var group))
            {
                groups[key] = group = [];
                sources.Add(key);
            }
            group.Add(pair);
        }
        var order = sources.ToArray();
        for (int i = order.Length - 1; i > 0; i--) // Fisher–Yates
        {
            int j = (int)generator.NextInt64(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        int testCount = (int)Math.Round(testFraction * order.Length, MidpointRounding.AwayFromZero);
        var held = new HashSet<string>();
        foreach (var source in order)
        {
            if (held.Count == testCount) break;
            if (keepInTraining is null || !keepInTraining.Contains(source)) held.Add(source);
        }
        var train = new List<SentencePair>();
        var test = new List<HeldOutSentence>();
        foreach (var source in sources) // file order on both sides
        {
            if (held.Contains(source)) test.Add(new HeldOutSentence(groups[source][0].Source, [.. groups[source].Select(p => p.Target)]));
            else train.AddRange(groups[source]);
        }
        return (train, test);
    }
}
