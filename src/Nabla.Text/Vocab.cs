namespace Nabla.Text;

/// <summary>
/// A vocabulary: token ↔ index both ways (d2l's <c>Vocab</c>). Index 0 is <c>&lt;unk&gt;</c>, then
/// the reserved tokens in the order given (e.g. <c>&lt;pad&gt; &lt;bos&gt; &lt;eos&gt;</c>), then the
/// corpus tokens that occur at least <c>minFreq</c> times, most frequent first; ties keep the order
/// of first occurrence (Python's stable sort of a <c>Counter</c>, as in d2l). Unknown tokens map to
/// <see cref="Unk"/>.
/// </summary>
public sealed class Vocab
{
    /// <summary>The unknown token, always at index 0.</summary>
    public const string UnkToken = "<unk>";

    /// <summary>The usual padding token (reserve it explicitly).</summary>
    public const string PadToken = "<pad>";

    /// <summary>The usual beginning-of-sequence token (reserve it explicitly).</summary>
    public const string BosToken = "<bos>";

    /// <summary>The usual end-of-sequence token (reserve it explicitly).</summary>
    public const string EosToken = "<eos>";

    readonly List<string> indexToToken;
    readonly Dictionary<string, int> tokenToIndex;

    /// <summary>Builds the vocabulary of a tokenized corpus (one token array per line).</summary>
    /// <param name="lines">The tokens, line by line.</param>
    /// <param name="minFreq">Tokens seen fewer times are left out (they map to <c>&lt;unk&gt;</c>).</param>
    /// <param name="reservedTokens">Tokens placed right after <c>&lt;unk&gt;</c>, e.g. <c>["&lt;pad&gt;", "&lt;bos&gt;", "&lt;eos&gt;"]</c>.</param>
    public Vocab(IEnumerable<IEnumerable<string>> lines, int minFreq = 0, IEnumerable<string>? reservedTokens = null)
        : this(lines?.SelectMany(line => line) ?? throw new ArgumentNullException(nameof(lines)), minFreq, reservedTokens)
    {
    }

    /// <summary>Builds the vocabulary of a flat token sequence.</summary>
    /// <param name="tokens">The tokens.</param>
    /// <param name="minFreq">Tokens seen fewer times are left out (they map to <c>&lt;unk&gt;</c>).</param>
    /// <param name="reservedTokens">Tokens placed right after <c>&lt;unk&gt;</c>.</param>
    public Vocab(IEnumerable<string> tokens, int minFreq = 0, IEnumerable<string>? reservedTokens = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (minFreq < 0) throw new ArgumentException($"Vocab: minFreq must be non-negative, got {minFreq}.", nameof(minFreq));
        MinFreq = minFreq;
        // Counter in order of first occurrence, then a stable sort by descending count.
        var counts = new Dictionary<string, int>();
        var firstSeen = new List<string>();
        foreach (var token in tokens)
        {
            if (counts.TryGetValue(token, out int n)) counts[token] = n + 1;
            else
            {
                counts[token] = 1;
                firstSeen.Add(token);
            }
        }
        TokenFreqs = [.. firstSeen.Select(t => (t, counts[t])).OrderByDescending(p => p.Item2)]; // OrderBy is stable
        indexToToken = [UnkToken];
        tokenToIndex = new Dictionary<string, int> { [UnkToken] = 0 };
        foreach (var token in reservedTokens ?? [])
            Add(token);
        foreach (var (token, frequency) in TokenFreqs)
        {
            if (frequency < minFreq) break;
            Add(token);
        }
    }

    void Add(string token)
    {
        if (tokenToIndex.ContainsKey(token)) return;
        tokenToIndex[token] = indexToToken.Count;
        indexToToken.Add(token);
    }

    /// <summary>The minimum frequency a corpus token needed to get an index.</summary>
    public int MinFreq { get; }

    /// <summary>Every corpus token with its count, most frequent first (d2l's <c>token_freqs</c>), including those under <see cref="MinFreq"/>.</summary>
    public IReadOnlyList<(string Token, int Frequency)> TokenFreqs { get; }

    /// <summary>Number of tokens with an index (<c>len(vocab)</c>).</summary>
    public int Count => indexToToken.Count;

    /// <summary>Index of <c>&lt;unk&gt;</c>: 0.</summary>
    public int Unk => 0;

    /// <summary>The tokens by index (<c>idx_to_token</c>).</summary>
    public IReadOnlyList<string> IdxToToken => indexToToken;

    /// <summary>The index of each token (<c>token_to_idx</c>).</summary>
    public IReadOnlyDictionary<string, int> TokenToIdx => tokenToIndex;

    /// <summary>The index of <paramref name="token"/>, or <see cref="Unk"/> when it has none (<c>vocab[token]</c>).</summary>
    public int this[string token] => tokenToIndex.GetValueOrDefault(token, Unk);

    /// <summary>The indices of <paramref name="tokens"/> (<c>vocab[tokens]</c>).</summary>
    public int[] Indices(IEnumerable<string> tokens) => [.. tokens.Select(t => this[t])];

    /// <summary>Whether <paramref name="token"/> has an index of its own.</summary>
    public bool Contains(string token) => tokenToIndex.ContainsKey(token);

    /// <summary>The token at <paramref name="index"/> (<c>to_tokens(index)</c>).</summary>
    public string ToToken(int index)
    {
        if ((uint)index >= (uint)indexToToken.Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"Vocab: index {index} is out of range for a vocabulary of {indexToToken.Count} tokens.");
        return indexToToken[index];
    }

    /// <summary>The tokens at <paramref name="indices"/> (<c>to_tokens(indices)</c>).</summary>
    public string[] ToTokens(IEnumerable<int> indices) => [.. indices.Select(ToToken)];

    /// <summary>The tokens at the indices held by an integer tensor, flattened.</summary>
    public string[] ToTokens(Tensor indices) => ToTokens(indices.To(DType.Int64).ToArray<long>().Select(i => checked((int)i)));
}
