using Nabla.Text.Bert;

namespace Nabla.Cli;

/// <summary>
/// The text <c>nabla train bert</c> learns from: WikiText-2 in its own layout (<c>--data DIR</c> with
/// <c>wiki.train.tokens</c>, held out: <c>wiki.valid.tokens</c>), a plain English text file
/// (<c>--data FILE</c>), or by default the embedded <i>The Time Machine</i>; for the last two every
/// tenth paragraph is held out.
/// </summary>
/// <param name="Name">What the first line of the run says.</param>
/// <param name="Train">Training paragraphs.</param>
/// <param name="HeldOut">Held-out paragraphs.</param>
/// <param name="Tokenization">How sentences are cut into tokens: "wikitext" (lower-case, whitespace) or "basic" (BERT's basic tokenizer).</param>
public sealed record BertTrainingCorpus(string Name, List<string[][]> Train, List<string[][]> HeldOut, string Tokenization)
{
    /// <summary>Tokenization of WikiText (its text is already split).</summary>
    public const string WikiTextTokenization = "wikitext";

    /// <summary>Tokenization of plain text.</summary>
    public const string BasicTokenization = "basic";

    /// <summary>The corpus of <c>--data</c> (null: The Time Machine).</summary>
    /// <exception cref="ArgumentException">The path is neither a WikiText directory nor a file.</exception>
    public static BertTrainingCorpus Open(string? data)
    {
        if (data is null)
        {
            var (train, heldOut) = EveryTenth(BertCorpus.TimeMachineParagraphs());
            return new BertTrainingCorpus("The Time Machine (H. G. Wells, 1895; public domain, embedded)", train, heldOut, BasicTokenization);
        }
        if (Directory.Exists(data))
        {
            string trainFile = Path.Combine(data, BertCorpus.WikiTextFile("train"));
            if (!File.Exists(trainFile))
                throw new ArgumentException($"--data {data}: no {BertCorpus.WikiTextFile("train")} there; give a WikiText-2 directory (wiki.train.tokens, wiki.valid.tokens) or a plain-text file.");
            var train = BertCorpus.ReadWikiText(trainFile);
            string validFile = Path.Combine(data, BertCorpus.WikiTextFile("valid"));
            if (File.Exists(validFile)) return new BertTrainingCorpus($"WikiText ({data})", train, BertCorpus.ReadWikiText(validFile), WikiTextTokenization);
            var (kept, heldOut) = EveryTenth(train);
            return new BertTrainingCorpus($"WikiText ({data}; no wiki.valid.tokens, every tenth paragraph held out)", kept, heldOut, WikiTextTokenization);
        }
        if (File.Exists(data))
        {
            var (train, heldOut) = EveryTenth(BertCorpus.FromPlainText(File.ReadLines(data)));
            return new BertTrainingCorpus($"plain text {Path.GetFileName(data)}", train, heldOut, BasicTokenization);
        }
        throw new ArgumentException($"--data {data}: no such directory or file.");
    }

    /// <summary>The tokens of a sentence as this corpus's tokenization cuts it.</summary>
    public static string[] Tokenize(string sentence, string tokenization) => tokenization == WikiTextTokenization
        ? sentence.Trim().ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
        : [.. new Nabla.Text.Tokenizers.BasicTokenizer().Tokenize(sentence)];

    static (List<string[][]> Train, List<string[][]> HeldOut) EveryTenth(List<string[][]> paragraphs)
    {
        var train = new List<string[][]>();
        var heldOut = new List<string[][]>();
        for (int i = 0; i < paragraphs.Count; i++) (i % 10 == 9 ? heldOut : train).Add(paragraphs[i]);
        return (train, heldOut);
    }
}
