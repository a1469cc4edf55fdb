namespace Nabla.Text.Bert;

/// <summary>
/// Corpora for BERT pre-training as paragraphs of sentences of word tokens: WikiText-2's files
/// read as d2l's <c>_read_wiki</c> does, or any plain English text split into paragraphs (blank
/// lines) and sentences (<c>. ! ?</c>) with BERT's <see cref="Tokenizers.BasicTokenizer"/>.
/// </summary>
public static class BertCorpus
{
    /// <summary>The file names of WikiText-2 (and WikiText-103) for each split.</summary>
    public static string WikiTextFile(string split) => $"wiki.{split}.tokens";

    /// <summary>
    /// d2l's <c>_read_wiki</c> (without its shuffle, which <see cref="BertPretrainingDataset"/> does):
    /// each line with at least two sentences (separated by <c>" . "</c>) is a paragraph;
    /// lines are stripped and lower-cased, sentences split on whitespace.
    /// </summary>
    /// <param name="path">A WikiText file, e.g. <c>wiki.train.tokens</c>.</param>
    public static List<string[][]> ReadWikiText(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"WikiText: no file {path} (expected the WikiText-2 layout: wiki.train.tokens, wiki.valid.tokens, wiki.test.tokens).", path);
        var paragraphs = new List<string[][]>();
        foreach (string line in File.ReadLines(path))
        {
            string[] sentences = line.Trim().ToLowerInvariant().Split(" . ");
            if (line.Split(" . ").Length < 2) continue;
            paragraphs.Add([.. sentences.Select(s => s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))]);
        }
        return paragraphs;
    }

    /// <summary>
    /// Paragraphs of a plain text: blocks of non-blank lines, tokenized by BERT's basic tokenizer
    /// (lower-cased, punctuation as tokens) and cut into sentences after <c>.</c>, <c>!</c> or
    /// <c>?</c> (closing quotes and brackets stay with the sentence they close; no cut after a
    /// single letter other than "i" or after Mr/Mrs/Dr/St, as in "H. G. Wells"). Paragraphs of one sentence are kept:
    /// they give no pairs of their own but serve as random second sentences. The cut is plain: it
    /// also falls inside "'Large?' said Filby."
    /// </summary>
    /// <param name="lines">The text's lines.</param>
    public static List<string[][]> FromPlainText(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var tokenizer = new Tokenizers.BasicTokenizer();
        var paragraphs = new List<string[][]>();
        var block = new List<string>();
        void Flush()
        {
            if (block.Count == 0) return;
            var sentences = SplitSentences(tokenizer.Tokenize(string.Join(' ', block)));
            if (sentences.Count > 0) paragraphs.Add([.. sentences]);
            block.Clear();
        }
        foreach (string line in lines)
        {
            if (string.IsNullOrWhiteSpace(line)) Flush();
            else block.Add(line);
        }
        Flush();
        return paragraphs;
    }

    /// <summary>The default corpus: <see cref="TimeMachine"/>'s paragraphs by <see cref="FromPlainText"/>.</summary>
    public static List<string[][]> TimeMachineParagraphs() => FromPlainText(TimeMachine.ReadLines());

    static readonly HashSet<string> Abbreviations = ["mr", "mrs", "dr", "st"];

    static List<string[]> SplitSentences(List<string> tokens)
    {
        var sentences = new List<string[]>();
        int start = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] is not ("." or "!" or "?")) continue;
            if (tokens[i] == "." && i > 0 && (tokens[i - 1] is { Length: 1 } initial && char.IsLetter(initial[0]) && initial != "i" || Abbreviations.Contains(tokens[i - 1]))) continue;
            int end = i + 1;
            while (end < tokens.Count && tokens[end] is "'" or "\"" or ")" or "]" or "." or "!" or "?") end++;
            sentences.Add([.. tokens.GetRange(start, end - start)]);
            start = end;
            i = end - 1;
        }
        if (start < tokens.Count) sentences.Add([.. tokens.GetRange(start, tokens.Count - start)]);
        return sentences;
    }
}
