namespace Nabla.Text.Seq2Seq;

/// <summary>
/// A source sentence as the encoder reads it (d2l's <c>predict_seq2seq</c> preparation): its tokens'
/// indices followed by &lt;eos&gt;, cut or padded to the model's number of steps, and what was lost on the way.
/// </summary>
public sealed record SourceSentence
{
    /// <summary>The tokens as given.</summary>
    public required string[] Tokens { get; init; }

    /// <summary>The indices the encoder reads, [numSteps].</summary>
    public required int[] Indices { get; init; }

    /// <summary>Tokens before the padding (at most numSteps).</summary>
    public required int ValidLength { get; init; }

    /// <summary>Tokens that are not in the source vocabulary and were read as &lt;unk&gt;, in order, each once.</summary>
    public required string[] UnknownTokens { get; init; }

    /// <summary>Whether the sentence with its &lt;eos&gt; was longer than numSteps and was cut.</summary>
    public required bool Truncated { get; init; }

    /// <summary>Encodes <paramref name="tokens"/> with <paramref name="vocab"/> into <paramref name="numSteps"/> indices.</summary>
    public static SourceSentence Encode(IReadOnlyList<string> tokens, Vocab vocab, int numSteps)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(vocab);
        if (numSteps < 1) throw new ArgumentException($"SourceSentence: numSteps must be at least 1, got {numSteps}.", nameof(numSteps));
        int[] indices = [.. vocab.Indices(tokens), vocab[Vocab.EosToken]];
        return new SourceSentence
        {
            Tokens = [.. tokens],
            Indices = TranslationData.TruncatePad(indices, numSteps, vocab[Vocab.PadToken]),
            ValidLength = Math.Min(indices.Length, numSteps),
            UnknownTokens = [.. tokens.Where(t => !vocab.Contains(t)).Distinct()],
            Truncated = indices.Length > numSteps,
        };
    }
}
