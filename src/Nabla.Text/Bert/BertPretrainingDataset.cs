namespace Nabla.Text.Bert;

/// <summary>
/// The BERT pre-training examples of a corpus, built as d2l's <c>_WikiTextDataset</c> (§15.9):
/// a vocabulary of the sentences' words (minimum frequency 5, reserved <c>&lt;pad&gt; &lt;mask&gt;
/// &lt;cls&gt; &lt;sep&gt;</c>); for every two consecutive sentences of a paragraph, a pair whose second
/// sentence is, with probability ½, a random sentence of a random paragraph instead (NSP); pairs
/// longer than <see cref="MaxLen"/> with their three special tokens are skipped; in each pair
/// max(1, round(0.15 · length)) positions other than <c>&lt;cls&gt;</c>/<c>&lt;sep&gt;</c> are chosen
/// for prediction, and the input there becomes <c>&lt;mask&gt;</c> (80%), a random vocabulary
/// token (10%) or stays (10%) (MLM). Every draw comes from the generator given, in a fixed order.
/// </summary>
public sealed class BertPretrainingDataset
{
    /// <summary>The padding token.</summary>
    public const string PadToken = "<pad>";

    /// <summary>The mask token.</summary>
    public const string MaskToken = "<mask>";

    /// <summary>The classification token, first of every input.</summary>
    public const string ClsToken = "<cls>";

    /// <summary>The separator token, after each sentence.</summary>
    public const string SepToken = "<sep>";

    /// <summary>The reserved tokens, in d2l's order (indices 1–4 after <c>&lt;unk&gt;</c>).</summary>
    public static IReadOnlyList<string> ReservedTokens { get; } = [PadToken, MaskToken, ClsToken, SepToken];

    /// <summary>The share of the tokens chosen for prediction.</summary>
    public const double PredictionShare = 0.15;

    readonly List<BertExample> examples = [];

    /// <summary>Builds the examples of <paramref name="paragraphs"/>.</summary>
    /// <param name="paragraphs">Paragraphs of sentences of word tokens (e.g. <see cref="BertCorpus.ReadWikiText"/>).</param>
    /// <param name="maxLen">Positions per example, special tokens included (d2l: 64).</param>
    /// <param name="generator">Source of every random choice: the paragraph shuffle, the NSP pairs, the MLM positions and replacements.</param>
    /// <param name="vocab">The vocabulary to use (a held-out set takes the training set's); built from the corpus when null.</param>
    /// <param name="minFreq">Minimum count of a word in the vocabulary when it is built here (d2l: 5).</param>
    /// <exception cref="ArgumentException">The corpus gives no pair of sentences that fits in <paramref name="maxLen"/>.</exception>
    public BertPretrainingDataset(IReadOnlyList<IReadOnlyList<string[]>> paragraphs, int maxLen, Generator generator, Vocab? vocab = null, int minFreq = 5)
    {
        ArgumentNullException.ThrowIfNull(paragraphs);
        ArgumentNullException.ThrowIfNull(generator);
        if (maxLen < 5) throw new ArgumentOutOfRangeException(nameof(maxLen), $"BertPretrainingDataset: maxLen must be at least 5 (<cls>, <sep> twice and a token per sentence), got {maxLen}.");
        MaxLen = maxLen;
        MaxPredictions = (int)Math.Round(maxLen * PredictionShare);
        Vocab = vocab ?? new Vocab(paragraphs.SelectMany(p => p), minFreq, ReservedTokens);
        foreach (string token in ReservedTokens)
        {
            if (!Vocab.Contains(token)) throw new ArgumentException($"BertPretrainingDataset: the vocabulary lacks the reserved token {token}.", nameof(vocab));
        }
        // d2l's _read_wiki shuffles the paragraphs; the order decides the examples' order and the random draws.
        var shuffled = paragraphs.ToList();
        Shuffle(shuffled, generator);
        var pairs = new List<(string[] Tokens, int[] Segments, bool IsNext)>();
        foreach (var paragraph in shuffled)
        {
            for (int i = 0; i + 1 < paragraph.Count; i++)
            {
                var (first, second, isNext) = NextSentence(paragraph[i], paragraph[i + 1], shuffled, generator);
                if (first.Length + second.Length + 3 > maxLen)
                {
                    SkippedPairs++;
                    continue;
                }
                var (tokens, segments) = GetTokensAndSegments(first, second);
                pairs.Add((tokens, segments, isNext));
            }
        }
        if (pairs.Count == 0)
        {
            int usable = paragraphs.Count(p => p.Count >= 2);
            throw new ArgumentException(
                $"BERT pre-training data: the corpus gives no sentence pair that fits in max length {maxLen} ({paragraphs.Count} paragraphs, {usable} with two sentences or more, {SkippedPairs} pairs too long).");
        }
        foreach (var (tokens, segments, isNext) in pairs)
        {
            var (inputIds, positions, labels) = MaskTokens(tokens, generator);
            examples.Add(new BertExample(inputIds, segments, positions, labels, isNext));
        }
    }

    /// <summary>The vocabulary (<c>&lt;unk&gt;</c>, the reserved tokens, then the words).</summary>
    public Vocab Vocab { get; }

    /// <summary>Positions per example after padding.</summary>
    public int MaxLen { get; }

    /// <summary>Prediction slots per example after padding: round(0.15 · <see cref="MaxLen"/>) (10 for 64).</summary>
    public int MaxPredictions { get; }

    /// <summary>Sentence pairs left out because they did not fit in <see cref="MaxLen"/>.</summary>
    public int SkippedPairs { get; }

    /// <summary>Number of examples.</summary>
    public int Count => examples.Count;

    /// <summary>The examples, in the order built.</summary>
    public IReadOnlyList<BertExample> Examples => examples;

    /// <summary>d2l's <c>get_tokens_and_segments</c>: <c>&lt;cls&gt; A &lt;sep&gt;</c> (segment 0), then <c>B &lt;sep&gt;</c> (segment 1) when B is given.</summary>
    public static (string[] Tokens, int[] Segments) GetTokensAndSegments(IReadOnlyList<string> tokensA, IReadOnlyList<string>? tokensB = null)
    {
        ArgumentNullException.ThrowIfNull(tokensA);
        var tokens = new List<string>(tokensA.Count + (tokensB?.Count ?? 0) + 3) { ClsToken };
        tokens.AddRange(tokensA);
        tokens.Add(SepToken);
        var segments = new List<int>(tokens.Capacity);
        segments.AddRange(Enumerable.Repeat(0, tokensA.Count + 2));
        if (tokensB is not null)
        {
            tokens.AddRange(tokensB);
            tokens.Add(SepToken);
            segments.AddRange(Enumerable.Repeat(1, tokensB.Count + 1));
        }
        return ([.. tokens], [.. segments]);
    }

    /// <summary>d2l's <c>_pad_bert_inputs</c> for the examples at <paramref name="indices"/>: one padded minibatch.</summary>
    public BertBatch GetBatch(ReadOnlySpan<int> indices)
    {
        int count = indices.Length, length = MaxLen, slots = MaxPredictions;
        if (count == 0) throw new ArgumentException("BertPretrainingDataset.GetBatch: no indices.", nameof(indices));
        long pad = Vocab[PadToken];
        var tokenIds = new long[count * length];
        var segments = new long[count * length];
        var validLens = new long[count];
        var paddingMask = new bool[count * length];
        var predPositions = new long[count * slots];
        var weights = new float[count * slots];
        var labels = new long[count * slots];
        var nsp = new long[count];
        for (int row = 0; row < count; row++)
        {
            if ((uint)indices[row] >= (uint)examples.Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"BertPretrainingDataset.GetBatch: index {indices[row]} is out of range for {examples.Count} examples.");
            BertExample example = examples[indices[row]];
            int valid = example.TokenIds.Length;
            for (int j = 0; j < length; j++)
            {
                bool inside = j < valid;
                tokenIds[row * length + j] = inside ? example.TokenIds[j] : pad;
                segments[row * length + j] = inside ? example.Segments[j] : 0;
                paddingMask[row * length + j] = !inside;
            }
            validLens[row] = valid;
            for (int k = 0; k < example.PredPositions.Length; k++)
            {
                predPositions[row * slots + k] = example.PredPositions[k];
                labels[row * slots + k] = example.MlmLabels[k];
                weights[row * slots + k] = 1;
            }
            nsp[row] = example.IsNext ? 1 : 0;
        }
        return new BertBatch(
            Tensor.From(tokenIds, count, length), Tensor.From(segments, count, length), Tensor.From(validLens, count),
            Tensor.From(paddingMask, count, length), Tensor.From(predPositions, count, slots), Tensor.From(weights, count, slots),
            Tensor.From(labels, count, slots), Tensor.From(nsp, count));
    }

    // d2l's _get_next_sentence: with probability ½ a random sentence of a random paragraph replaces the next one.
    static (string[] First, string[] Second, bool IsNext) NextSentence(string[] sentence, string[] next, List<IReadOnlyList<string[]>> paragraphs, Generator generator)
    {
        if (generator.NextDouble() < 0.5) return (sentence, next, true);
        var paragraph = paragraphs[(int)generator.NextInt64(paragraphs.Count)];
        return (sentence, paragraph[(int)generator.NextInt64(paragraph.Count)], false);
    }

    // d2l's _get_mlm_data_from_tokens and _replace_mlm_tokens.
    (int[] InputIds, int[] Positions, int[] Labels) MaskTokens(string[] tokens, Generator generator)
    {
        var candidates = new List<int>(tokens.Length);
        for (int i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] is not (ClsToken or SepToken)) candidates.Add(i);
        }
        int predictions = Math.Max(1, (int)Math.Round(tokens.Length * PredictionShare)); // Python's round: half to even, as Math.Round
        int[] ids = Vocab.Indices(tokens);
        int[] input = (int[])ids.Clone();
        Shuffle(candidates, generator);
        int chosen = Math.Min(predictions, candidates.Count);
        var positions = candidates.GetRange(0, chosen);
        foreach (int position in positions)
        {
            if (generator.NextDouble() < 0.8) input[position] = Vocab[MaskToken];
            else if (generator.NextDouble() < 0.5) input[position] = ids[position];
            else input[position] = (int)generator.NextInt64(Vocab.Count);
        }
        positions.Sort();
        return (input, [.. positions], [.. positions.Select(p => ids[p])]);
    }

    // Fisher–Yates, from the last element down (Python's random.shuffle).
    static void Shuffle<T>(List<T> items, Generator generator)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = (int)generator.NextInt64(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
