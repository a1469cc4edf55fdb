using System.Text;

namespace Nabla.Text.Tokenizers;

/// <summary>
/// BERT's sub-word splitting (<c>WordpieceTokenizer</c> of google-research/bert and Hugging Face):
/// each whitespace-separated word is split greedily, longest match first, into pieces of the
/// vocabulary; every piece after the first carries the <c>##</c> continuation prefix. A word with
/// more than <see cref="MaxInputCharsPerWord"/> characters, or one that cannot be covered by pieces
/// of the vocabulary, becomes <see cref="UnkToken"/> as a whole.
/// </summary>
/// <remarks>Words are measured and cut by Unicode scalar value (<see cref="Rune"/>), as Python does.</remarks>
public sealed class WordpieceTokenizer
{
    /// <summary>The prefix of a piece that continues a word.</summary>
    public const string ContinuationPrefix = "##";

    readonly IReadOnlyDictionary<string, int> vocab;

    /// <summary>Creates the splitter over <paramref name="vocab"/> (token → id).</summary>
    /// <param name="vocab">The vocabulary; must contain <paramref name="unkToken"/>.</param>
    /// <param name="unkToken">The token of words that cannot be split.</param>
    /// <param name="maxInputCharsPerWord">Longer words become <paramref name="unkToken"/> (BERT: 100 or 200).</param>
    public WordpieceTokenizer(IReadOnlyDictionary<string, int> vocab, string unkToken = "[UNK]", int maxInputCharsPerWord = 100)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        ArgumentNullException.ThrowIfNull(unkToken);
        if (maxInputCharsPerWord < 1)
            throw new ArgumentOutOfRangeException(nameof(maxInputCharsPerWord), $"WordpieceTokenizer: maxInputCharsPerWord must be at least 1, got {maxInputCharsPerWord}.");
        if (!vocab.ContainsKey(unkToken))
            throw new ArgumentException($"WordpieceTokenizer: the vocabulary ({vocab.Count} tokens) has no unknown token '{unkToken}'.", nameof(vocab));
        this.vocab = vocab;
        UnkToken = unkToken;
        MaxInputCharsPerWord = maxInputCharsPerWord;
    }

    /// <summary>The token of words that cannot be split.</summary>
    public string UnkToken { get; }

    /// <summary>Words longer than this (in characters) become <see cref="UnkToken"/>.</summary>
    public int MaxInputCharsPerWord { get; }

    /// <summary>The vocabulary (token → id).</summary>
    public IReadOnlyDictionary<string, int> Vocab => vocab;

    /// <summary>The pieces of the whitespace-separated words of <paramref name="text"/>, e.g. "unaffable" → un ##aff ##able.</summary>
    public List<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<string>();
        foreach (string word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            AppendPieces(word, output);
        return output;
    }

    void AppendPieces(string word, List<string> output)
    {
        // Offsets (in UTF-16 units) of each character's start, plus the end: cuts fall only there.
        var starts = new List<int>(word.Length + 1);
        for (int i = 0; i < word.Length; i += char.IsSurrogatePair(word, i) ? 2 : 1) starts.Add(i);
        int characters = starts.Count;
        starts.Add(word.Length);
        if (characters > MaxInputCharsPerWord)
        {
            output.Add(UnkToken);
            return;
        }
        int firstPiece = output.Count;
        int start = 0;
        while (start < characters)
        {
            string? piece = null;
            int end = characters;
            for (; end > start; end--)
            {
                string candidate = word[starts[start]..starts[end]];
                if (start > 0) candidate = ContinuationPrefix + candidate;
                if (vocab.ContainsKey(candidate))
                {
                    piece = candidate;
                    break;
                }
            }
            if (piece is null)
            {
                // No piece fits here: the whole word is unknown, pieces found so far included.
                output.RemoveRange(firstPiece, output.Count - firstPiece);
                output.Add(UnkToken);
                return;
            }
            output.Add(piece);
            start = end;
        }
    }
}
