using Nabla.Text.Bert;

namespace Nabla.Cli;

/// <summary>
/// The text <c>nabla train bert</c> learns from: WikiText-2 in its own layout (<c>--data DIR</c> with
/// <c>wiki.train.tokens</c>, held out: <c>wiki.valid.tokens</c>), the Brown Corpus (<c>--data DIR</c> in
/// NLTK's layout, or <c>--data brown</c>: the installed copy, see <see cref="BrownCorpus"/>), a plain
/// English text file (<c>--data FILE</c>), or the embedded <i>The Time Machine</i> (<c>--data timemachine</c>).
/// By default the installed Brown Corpus, else The Time Machine. For all but WikiText every tenth
/// paragraph is held out.
/// </summary>
/// <param name="Name">What the first line of the run says.</param>
/// <param name="Train">Training paragraphs.</param>
/// <param name="HeldOut">Held-out paragraphs.</param>
/// <param name="Tokenization">How sentences are cut into tokens: "wikitext" (lower-case, whitespace) or "basic" (BERT's basic tokenizer).</param>
/// <param name="Source">The <c>--data</c> value that opens this corpus again (what a checkpoint records, so that <c>--resume</c> reads the same text).</param>
public sealed record BertTrainingCorpus(string Name, List<string[][]> Train, List<string[][]> HeldOut, string Tokenization, string Source)
{
    /// <summary>The <c>--data</c> value of the embedded <i>The Time Machine</i> (when no file or directory has that name).</summary>
    public const string TimeMachineData = "timemachine";

    /// <summary>The <c>--data</c> value of the installed Brown Corpus (when no file or directory has that name).</summary>
    public const string BrownData = "brown";

    /// <summary>The script that installs the Brown Corpus, as the first line names it when it is missing.</summary>
    public const string BrownInstallScript = "tests/install-brown-corpus.sh";

    /// <summary>Tokenization of WikiText (its text is already split).</summary>
    public const string WikiTextTokenization = "wikitext";

    /// <summary>Tokenization of plain text.</summary>
    public const string BasicTokenization = "basic";

    /// <summary>The corpus of <c>--data</c> (null: the installed Brown Corpus, else The Time Machine).</summary>
    /// <exception cref="ArgumentException">The path is neither a WikiText or Brown directory nor a file, or <c>brown</c> is not installed.</exception>
    public static BertTrainingCorpus Open(string? data)
    {
        if (data is null)
        {
            string source = DefaultData();
            return source == TimeMachineData
                ? TimeMachineCorpus($"; the larger Brown Corpus is not installed ({BrownInstallScript} installs it)")
                : Brown(source);
        }
        bool exists = Directory.Exists(data) || File.Exists(data);
        if (!exists && data == TimeMachineData) return TimeMachineCorpus("");
        if (!exists && data == BrownData)
        {
            return Brown(BrownCorpus.Find() ?? throw new ArgumentException(
                $"--data brown: the Brown Corpus is in none of {string.Join(", ", BrownCorpus.SearchDirectories())}; {BrownInstallScript} installs it."));
        }
        if (Directory.Exists(data))
        {
            if (BrownCorpus.IsCorpusDirectory(data)) return Brown(data);
            string trainFile = Path.Combine(data, BertCorpus.WikiTextFile("train"));
            if (!File.Exists(trainFile))
                throw new ArgumentException($"--data {data}: no {BertCorpus.WikiTextFile("train")} there; give a WikiText-2 directory (wiki.train.tokens, wiki.valid.tokens), a Brown Corpus directory (ca01 …) or a plain-text file.");
            var train = BertCorpus.ReadWikiText(trainFile);
            string validFile = Path.Combine(data, BertCorpus.WikiTextFile("valid"));
            if (File.Exists(validFile)) return new BertTrainingCorpus($"WikiText ({data})", train, BertCorpus.ReadWikiText(validFile), WikiTextTokenization, data);
            var (kept, heldOut) = EveryTenth(train);
            return new BertTrainingCorpus($"WikiText ({data}; no wiki.valid.tokens, every tenth paragraph held out)", kept, heldOut, WikiTextTokenization, data);
        }
        if (File.Exists(data))
        {
            var (train, heldOut) = EveryTenth(BertCorpus.FromPlainText(File.ReadLines(data)));
            return new BertTrainingCorpus($"plain text {Path.GetFileName(data)}", train, heldOut, BasicTokenization, data);
        }
        throw new ArgumentException($"--data {data}: no such directory or file (nor {TimeMachineData} or {BrownData}).");
    }

    /// <summary>What <c>--data</c> stands for when it is not given: the installed Brown Corpus's directory (<see cref="BrownCorpus.Find"/>), else <see cref="TimeMachineData"/>.</summary>
    public static string DefaultData() => BrownCorpus.Find() is { } installed ? Path.GetFullPath(installed) : TimeMachineData;

    static BertTrainingCorpus TimeMachineCorpus(string note)
    {
        var (train, heldOut) = EveryTenth(BertCorpus.TimeMachineParagraphs());
        return new BertTrainingCorpus($"The Time Machine (H. G. Wells, 1895; public domain, embedded{note})", train, heldOut, BasicTokenization, TimeMachineData);
    }

    static BertTrainingCorpus Brown(string directory)
    {
        string full = Path.GetFullPath(directory);
        var (train, heldOut) = EveryTenth(BrownCorpus.ReadParagraphs(full));
        return new BertTrainingCorpus($"the Brown Corpus (1961 American English, 500 samples in 15 genres; {full})", train, heldOut, BasicTokenization, full);
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
