namespace Nabla.Text.Seq2Seq;

/// <summary>
/// The English–French sentence pairs of the course's translation chapters (d2l §9.5): 18,066 pairs
/// from the Tatoeba Project (CC-BY 2.0 France; see Data/README.md), embedded in the assembly,
/// shortest sentences first. <see cref="LoadData"/> is d2l's <c>load_data_nmt</c> with a held-out test set.
/// </summary>
public static class FraEng
{
    const string ResourceName = "Nabla.Text.fra-eng.txt";

    /// <summary>Number of pairs in the file.</summary>
    public const int PairCount = 18_066;

    /// <summary>
    /// The course's four example sentences and their reference translations (d2l §9.7.4):
    /// go . → va !, i lost . → j'ai perdu ., he's calm . → il est calme ., i'm home . → je suis chez moi .
    /// </summary>
    public static IReadOnlyList<(string English, string French)> CourseExamples { get; } =
    [
        ("go .", "va !"),
        ("i lost .", "j'ai perdu ."),
        ("he's calm .", "il est calme ."),
        ("i'm home .", "je suis chez moi ."),
    ];

    /// <summary>The raw lines of the file, "English\tFrench" (d2l's <c>read_data_nmt</c>, split into lines).</summary>
    public static string[] ReadLines()
    {
        using var stream = typeof(FraEng).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"FraEng: the embedded resource {ResourceName} is missing from {typeof(FraEng).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        var lines = new List<string>(PairCount);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) lines.Add(line);
        return [.. lines];
    }

    /// <summary>
    /// d2l's <c>preprocess_nmt</c> on one sentence: non-breaking spaces (U+00A0, U+202F) become
    /// spaces, the text is lower-cased, and a space goes before each <c>, . ! ?</c> that follows a non-space.
    /// </summary>
    public static string Preprocess(string text) => Normalizer.Normalize(text);

    /// <summary>The tokens of one sentence: <see cref="Preprocess"/>, then split on spaces (d2l's <c>tokenize_nmt</c>).</summary>
    public static string[] Tokenize(string sentence) => Normalizer.Tokenize(sentence);

    static readonly Tokenizer Normalizer = new(TokenLevel.Word, lowerCase: true, punctuation: Punctuation.Separate);

    /// <summary>The first <paramref name="numExamples"/> pairs, tokenized (all of them when null or ≤ 0).</summary>
    public static List<SentencePair> ReadPairs(int? numExamples = null)
    {
        var lines = ReadLines();
        int count = numExamples is > 0 ? Math.Min(numExamples.Value, lines.Length) : lines.Length;
        var pairs = new List<SentencePair>(count);
        for (int i = 0; i < count; i++)
        {
            var parts = lines[i].Split('\t');
            if (parts.Length != 2) throw new InvalidDataException($"FraEng: line {i + 1} is not 'English<TAB>French': '{lines[i]}'.");
            pairs.Add(new SentencePair(Tokenize(parts[0]), Tokenize(parts[1])));
        }
        return pairs;
    }

    /// <summary>
    /// d2l's <c>load_data_nmt</c>: the first <paramref name="numExamples"/> pairs, split by
    /// <see cref="TranslationData.Split"/> into training pairs and a held-out test set, vocabularies of the
    /// training pairs (minimum frequency <paramref name="minFreq"/>, reserved &lt;pad&gt; &lt;bos&gt; &lt;eos&gt;),
    /// and sentences cut or padded to <paramref name="numSteps"/> tokens.
    /// </summary>
    /// <param name="numSteps">Tokens per sentence, &lt;eos&gt; included (d2l: 10).</param>
    /// <param name="numExamples">Pairs read from the start of the file (d2l: 600); all when null or ≤ 0.</param>
    /// <param name="testFraction">Share of the distinct source sentences held out, in [0, 1).</param>
    /// <param name="seed">Seed of the split.</param>
    /// <param name="minFreq">Tokens seen fewer times in the training pairs map to &lt;unk&gt; (d2l: 2).</param>
    public static TranslationData LoadData(int numSteps = 10, int? numExamples = 600, double testFraction = 0.1, long seed = 0, int minFreq = 2)
    {
        var (train, test) = TranslationData.Split(ReadPairs(numExamples), testFraction, new Generator(seed), [.. CourseExamples.Select(e => e.English)]);
        return new TranslationData(train, test, numSteps, minFreq);
    }
}
