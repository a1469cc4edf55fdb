using System.Text;

namespace Nabla.Text;

/// <summary>
/// Splits text lines into word or character tokens (d2l's <c>tokenize</c>), after optional
/// lower-casing and punctuation handling. The course's Time Machine recipe is
/// <c>new Tokenizer(TokenLevel.Char, lowerCase: true, punctuation: Punctuation.LettersOnly)</c>;
/// <see cref="TimeMachine.Load"/> already returns lines normalised that way.
/// </summary>
public sealed class Tokenizer
{
    /// <summary>Words or characters.</summary>
    public TokenLevel Level { get; }

    /// <summary>Whether text is lower-cased (invariant culture) before splitting.</summary>
    public bool LowerCase { get; }

    /// <summary>What happens to non-letters before splitting.</summary>
    public Punctuation Punctuation { get; }

    /// <summary>Creates a tokenizer.</summary>
    /// <param name="level">Word or character tokens.</param>
    /// <param name="lowerCase">Lower-case the text first.</param>
    /// <param name="punctuation">How to treat non-letters.</param>
    public Tokenizer(TokenLevel level = TokenLevel.Word, bool lowerCase = false, Punctuation punctuation = Punctuation.Keep)
    {
        Level = level;
        LowerCase = lowerCase;
        Punctuation = punctuation;
    }

    /// <summary>The line after punctuation handling and lower-casing, as it will be split.</summary>
    public string Normalize(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var text = Punctuation switch
        {
            Punctuation.LettersOnly => LettersOnly(line),
            Punctuation.Separate => SeparatePunctuation(line),
            _ => line,
        };
        return LowerCase ? text.ToLowerInvariant() : text;
    }

    /// <summary>The tokens of one line: words split on whitespace, or every character (spaces included).</summary>
    public string[] Tokenize(string line)
    {
        var text = Normalize(line);
        if (Level == TokenLevel.Word) return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var chars = new string[text.Length];
        for (int i = 0; i < text.Length; i++) chars[i] = text[i].ToString();
        return chars;
    }

    /// <summary>The tokens of each line (d2l's <c>tokenize(lines, token)</c>); empty lines give empty lists.</summary>
    public List<string[]> Tokenize(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var result = new List<string[]>();
        foreach (var line in lines) result.Add(Tokenize(line));
        return result;
    }

    /// <summary>d2l's Time Machine cleaning: <c>re.sub('[^A-Za-z]+', ' ', line).strip().lower()</c>.</summary>
    public static string D2lTimeMachine(string line) => LettersOnly(line).ToLowerInvariant();

    /// <summary>Runs of non-ASCII-letters → one space, then trimmed.</summary>
    static string LettersOnly(string line)
    {
        var builder = new StringBuilder(line.Length);
        bool inGap = false;
        foreach (char ch in line)
        {
            if (char.IsAsciiLetter(ch))
            {
                builder.Append(ch);
                inGap = false;
            }
            else if (!inGap)
            {
                builder.Append(' ');
                inGap = true;
            }
        }
        return builder.ToString().Trim(' ');
    }

    /// <summary>d2l's <c>preprocess_nmt</c> spacing: U+202F and U+00A0 → space; a space before , . ! ? after a non-space.</summary>
    static string SeparatePunctuation(string line)
    {
        var text = line.Replace('\u202f', ' ').Replace('\u00a0', ' ');
        var builder = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (i > 0 && ch is ',' or '.' or '!' or '?' && text[i - 1] != ' ') builder.Append(' ');
            builder.Append(ch);
        }
        return builder.ToString();
    }
}
