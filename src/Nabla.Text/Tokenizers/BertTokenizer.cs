namespace Nabla.Text.Tokenizers;

/// <summary>
/// BERT's full tokenizer (Hugging Face's <c>BertTokenizer</c>, google-research/bert's
/// <c>FullTokenizer</c>): <see cref="BasicTokenizer"/> then <see cref="WordpieceTokenizer"/> over a
/// <c>vocab.txt</c> (one token per line; the line number, from 0, is the id).
/// </summary>
public sealed class BertTokenizer
{
    /// <summary>The unknown token of BERT's vocabularies.</summary>
    public const string UnkToken = "[UNK]";

    /// <summary>The separator token.</summary>
    public const string SepToken = "[SEP]";

    /// <summary>The padding token.</summary>
    public const string PadToken = "[PAD]";

    /// <summary>The classification token, first of every input.</summary>
    public const string ClsToken = "[CLS]";

    /// <summary>The mask token of the masked language model.</summary>
    public const string MaskToken = "[MASK]";

    readonly Dictionary<string, int> vocab;
    readonly string[] idToToken;

    /// <summary>A tokenizer over <paramref name="vocab"/> (token → id).</summary>
    /// <param name="vocab">The WordPiece vocabulary; must contain <see cref="UnkToken"/>.</param>
    /// <param name="doLowerCase">Lower-case and strip accents (uncased models).</param>
    /// <param name="maxInputCharsPerWord">Longer words become <see cref="UnkToken"/>.</param>
    public BertTokenizer(IReadOnlyDictionary<string, int> vocab, bool doLowerCase = true, int maxInputCharsPerWord = 100)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        this.vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        int size = vocab.Count == 0 ? 0 : vocab.Values.Max() + 1;
        idToToken = new string[size];
        foreach (var (token, id) in vocab)
        {
            if (id < 0) throw new ArgumentException($"BertTokenizer: token '{token}' has the negative id {id}.", nameof(vocab));
            idToToken[id] = token;
        }
        Wordpiece = new WordpieceTokenizer(this.vocab, UnkToken, maxInputCharsPerWord);
        string[] special = [UnkToken, SepToken, PadToken, ClsToken, MaskToken];
        Basic = new BasicTokenizer(doLowerCase, special.Where(this.vocab.ContainsKey));
    }

    /// <summary>Reads a WordPiece <c>vocab.txt</c> and builds the tokenizer.</summary>
    /// <param name="path">The vocabulary file.</param>
    /// <param name="doLowerCase">Lower-case and strip accents (uncased models).</param>
    /// <exception cref="InvalidDataException">The file is not a WordPiece vocabulary.</exception>
    public static BertTokenizer FromVocabFile(string path, bool doLowerCase = true) => new(LoadVocab(path), doLowerCase);

    /// <summary>
    /// Reads a WordPiece <c>vocab.txt</c>: one token per line, the line's number (from 0) its id,
    /// <c>[UNK]</c> among them. Files of other tokenizers (a JSON <c>tokenizer.json</c>, BPE's
    /// <c>merges.txt</c>, a SentencePiece vocabulary with scores) are refused with one line that says why.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a WordPiece vocabulary.</exception>
    public static Dictionary<string, int> LoadVocab(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"WordPiece vocabulary: no file {path}.", path);
        string[] lines = File.ReadAllLines(path);
        int count = lines.Length;
        while (count > 0 && lines[count - 1].Length == 0) count--; // trailing newlines
        if (count == 0) throw new InvalidDataException($"{path} is not a WordPiece vocabulary: it is empty.");
        if (lines[0].TrimStart().StartsWith('{'))
            throw new InvalidDataException($"{path} is not a WordPiece vocabulary: it looks like JSON (a tokenizer.json?); expected vocab.txt, one token per line.");
        var vocab = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string token = lines[i];
            if (token.Length == 0 || token.Any(char.IsWhiteSpace))
            {
                string shown = token.Length > 40 ? token[..40] + "…" : token;
                throw new InvalidDataException(
                    $"{path} is not a WordPiece vocabulary: line {i + 1} ('{shown}') is {(token.Length == 0 ? "empty" : "not a single token")}; expected one token per line (a BPE merges file or a SentencePiece vocabulary with scores is not WordPiece).");
            }
            vocab[token] = i; // a repeated token keeps its last line, as Hugging Face's load_vocab
        }
        if (!vocab.ContainsKey(UnkToken))
            throw new InvalidDataException($"{path} is not a WordPiece vocabulary: it has no {UnkToken} token among its {count} lines.");
        return vocab;
    }

    /// <summary>The pre-tokenizer.</summary>
    public BasicTokenizer Basic { get; }

    /// <summary>The sub-word splitter.</summary>
    public WordpieceTokenizer Wordpiece { get; }

    /// <summary>The vocabulary (token → id).</summary>
    public IReadOnlyDictionary<string, int> Vocab => vocab;

    /// <summary>Number of ids (the largest id + 1).</summary>
    public int VocabSize => idToToken.Length;

    /// <summary>The WordPiece tokens of <paramref name="text"/>, e.g. "UNwant\u00E9d,running" → un ##want ##ed , runn ##ing.</summary>
    public List<string> Tokenize(string text)
    {
        var output = new List<string>();
        foreach (string token in Basic.Tokenize(text))
        {
            if (Basic.NeverSplit.Contains(token)) output.Add(token);
            else output.AddRange(Wordpiece.Tokenize(token));
        }
        return output;
    }

    /// <summary>The ids of <paramref name="tokens"/>; unknown tokens get the id of <see cref="UnkToken"/>.</summary>
    public int[] ConvertTokensToIds(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        int unk = vocab[UnkToken];
        return [.. tokens.Select(t => vocab.GetValueOrDefault(t, unk))];
    }

    /// <summary>The tokens of <paramref name="ids"/>.</summary>
    public string[] ConvertIdsToTokens(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return [.. ids.Select(id => (uint)id < (uint)idToToken.Length && idToToken[id] is { } token
            ? token
            : throw new ArgumentOutOfRangeException(nameof(ids), $"BertTokenizer: id {id} is not in the vocabulary of {idToToken.Length} ids."))];
    }

    /// <summary>The ids of <paramref name="text"/> (tokenize, then look up).</summary>
    public int[] Encode(string text) => ConvertTokensToIds(Tokenize(text));
}
