using System.Globalization;
using System.Text;

namespace Nabla.Text.Tokenizers;

/// <summary>
/// BERT's pre-tokenisation (<c>BasicTokenizer</c> of google-research/bert's <c>tokenization.py</c>
/// and Hugging Face's <c>BertTokenizer</c>): drops NUL, U+FFFD and control characters, turns every
/// whitespace character into a space, puts spaces around CJK ideographs, splits on whitespace, then
/// per word lower-cases and strips accents (NFD, then drops the combining marks, category Mn) and
/// makes every punctuation character a token of its own. Tokens in <see cref="NeverSplit"/> (e.g.
/// <c>[CLS]</c>) pass through unchanged, as in Hugging Face's tokenizer.
/// </summary>
/// <remarks>
/// Text is handled by Unicode scalar value (<see cref="Rune"/>), as Python handles code points.
/// Lower-casing uses the invariant culture, which agrees with Python's <c>str.lower</c> except for
/// a few characters whose lower case is longer than the upper (e.g. U+0130 'İ').
/// </remarks>
public sealed class BasicTokenizer
{
    /// <summary>Whether words are lower-cased (uncased BERT models: true).</summary>
    public bool DoLowerCase { get; }

    /// <summary>Whether accents are stripped; by default as <see cref="DoLowerCase"/> (BERT's and Hugging Face's rule).</summary>
    public bool StripAccents { get; }

    /// <summary>Whether CJK ideographs become tokens of their own.</summary>
    public bool TokenizeChineseChars { get; }

    /// <summary>Tokens left whole: neither lower-cased nor split on punctuation.</summary>
    public IReadOnlySet<string> NeverSplit { get; }

    /// <summary>Creates the pre-tokenizer.</summary>
    /// <param name="doLowerCase">Lower-case the words (uncased models).</param>
    /// <param name="neverSplit">Tokens to leave whole, e.g. <c>[CLS]</c>, <c>[SEP]</c>, <c>[MASK]</c>.</param>
    /// <param name="tokenizeChineseChars">Put spaces around CJK ideographs.</param>
    /// <param name="stripAccents">Strip accents; null follows <paramref name="doLowerCase"/>.</param>
    public BasicTokenizer(bool doLowerCase = true, IEnumerable<string>? neverSplit = null, bool tokenizeChineseChars = true, bool? stripAccents = null)
    {
        DoLowerCase = doLowerCase;
        StripAccents = stripAccents ?? doLowerCase;
        TokenizeChineseChars = tokenizeChineseChars;
        NeverSplit = new HashSet<string>(neverSplit ?? [], StringComparer.Ordinal);
    }

    /// <summary>The tokens of <paramref name="text"/>.</summary>
    public List<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string cleaned = Clean(text);
        var output = new List<string>();
        foreach (string word in cleaned.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (NeverSplit.Contains(word))
            {
                output.Add(word);
                continue;
            }
            string token = DoLowerCase ? word.ToLowerInvariant() : word;
            if (StripAccents) token = RemoveAccents(token);
            SplitOnPunctuation(token, output);
        }
        return output;
    }

    // _clean_text and _tokenize_chinese_chars in one pass: whitespace → ' ', controls dropped, ideographs spaced.
    string Clean(string text)
    {
        var builder = new StringBuilder(text.Length + 16);
        foreach (Rune rune in text.EnumerateRunes())
        {
            int codePoint = rune.Value;
            if (codePoint == 0 || codePoint == 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) builder.Append(' ');
            else if (TokenizeChineseChars && IsCjkIdeograph(codePoint)) builder.Append(' ').Append(rune.ToString()).Append(' ');
            else builder.Append(rune.ToString());
        }
        return builder.ToString();
    }

    static string RemoveAccents(string token)
    {
        string decomposed = token.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        foreach (Rune rune in decomposed.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) builder.Append(rune.ToString());
        }
        return builder.ToString();
    }

    // Each punctuation character is a token; the runs between them are tokens.
    static void SplitOnPunctuation(string token, List<string> output)
    {
        var current = new StringBuilder();
        foreach (Rune rune in token.EnumerateRunes())
        {
            if (IsPunctuation(rune))
            {
                if (current.Length > 0) output.Add(current.ToString());
                current.Clear();
                output.Add(rune.ToString());
            }
            else current.Append(rune.ToString());
        }
        if (current.Length > 0) output.Add(current.ToString());
    }

    /// <summary>BERT's <c>_is_whitespace</c>: space, tab, newline, carriage return, or category Zs.</summary>
    public static bool IsWhitespace(Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator;

    /// <summary>BERT's <c>_is_control</c>: categories Cc and Cf, except tab, newline and carriage return.</summary>
    public static bool IsControl(Rune rune)
    {
        if (rune.Value is '\t' or '\n' or '\r') return false;
        var category = Rune.GetUnicodeCategory(rune);
        return category is UnicodeCategory.Control or UnicodeCategory.Format;
    }

    /// <summary>
    /// BERT's <c>_is_punctuation</c>: every non-alphanumeric printable ASCII character (so <c>$</c>,
    /// <c>^</c>, <c>`</c> count although Unicode files them as symbols) or a Unicode category P*.
    /// </summary>
    public static bool IsPunctuation(Rune rune)
    {
        int cp = rune.Value;
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>BERT's <c>_is_chinese_char</c>: the CJK Unified Ideographs blocks and their extensions A–E and compatibility blocks (not Hangul, Hiragana or Katakana).</summary>
    public static bool IsCjkIdeograph(int codePoint) =>
        codePoint is >= 0x4E00 and <= 0x9FFF
            or >= 0x3400 and <= 0x4DBF
            or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F
            or >= 0x2B820 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF
            or >= 0x2F800 and <= 0x2FA1F;
}
