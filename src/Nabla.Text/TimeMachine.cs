namespace Nabla.Text;

/// <summary>
/// H. G. Wells' <i>The Time Machine</i> (public domain, Project Gutenberg, the text the d2l course
/// uses for language models), embedded in the assembly; see Data/README.md.
/// </summary>
public static class TimeMachine
{
    const string ResourceName = "Nabla.Text.timemachine.txt";

    /// <summary>The text's lines as stored (3,221 lines; line breaks removed).</summary>
    public static string[] ReadLines()
    {
        using var stream = typeof(TimeMachine).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"TimeMachine: the embedded resource {ResourceName} is missing from {typeof(TimeMachine).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return [.. lines];
    }

    /// <summary>
    /// The lines cleaned as d2l's <c>read_time_machine</c> does: every run of non-letters becomes a
    /// space, trimmed, lower-cased (<see cref="Tokenizer.D2lTimeMachine"/>). Empty lines stay.
    /// </summary>
    public static string[] Load() => [.. ReadLines().Select(Tokenizer.D2lTimeMachine)];

    /// <summary>
    /// d2l's <c>load_corpus_time_machine</c>: the character-level corpus as token indices (one
    /// flat sequence over all lines; no line breaks) and its vocabulary (28 tokens: &lt;unk&gt;,
    /// space and the 26 letters).
    /// </summary>
    /// <param name="maxTokens">Keep only the first maxTokens indices when positive.</param>
    /// <param name="level">Character (the course's choice) or word tokens.</param>
    public static (int[] Corpus, Vocab Vocab) LoadCorpus(int maxTokens = -1, TokenLevel level = TokenLevel.Char)
    {
        var tokens = new Tokenizer(level).Tokenize(Load());
        var vocab = new Vocab(tokens);
        var corpus = new List<int>();
        foreach (var line in tokens)
            foreach (var token in line) corpus.Add(vocab[token]);
        if (maxTokens > 0 && corpus.Count > maxTokens) corpus.RemoveRange(maxTokens, corpus.Count - maxTokens);
        return ([.. corpus], vocab);
    }

    /// <summary>
    /// d2l's <c>load_data_time_machine</c>: minibatches of <paramref name="numSteps"/> characters and
    /// the vocabulary.
    /// </summary>
    /// <param name="batchSize">Subsequences per minibatch.</param>
    /// <param name="numSteps">Time steps per subsequence.</param>
    /// <param name="useRandomIter">Random partitioning when true, sequential when false.</param>
    /// <param name="maxTokens">Corpus length cap (d2l's default 10,000); ≤ 0 for the whole book.</param>
    /// <param name="generator">Random source of the offsets and shuffles; the default generator when null.</param>
    public static (SeqDataLoader Data, Vocab Vocab) LoadData(int batchSize, int numSteps, bool useRandomIter = false, int maxTokens = 10_000, Generator? generator = null)
    {
        var (corpus, vocab) = LoadCorpus(maxTokens);
        return (new SeqDataLoader(corpus, batchSize, numSteps, useRandomIter, generator), vocab);
    }
}
