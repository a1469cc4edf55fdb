namespace Nabla.Text.Seq2Seq;

/// <summary>One translation example: the source sentence's tokens and the target sentence's tokens (no &lt;eos&gt;).</summary>
/// <param name="Source">The source (English) tokens, e.g. <c>["go", "."]</c>.</param>
/// <param name="Target">The target (French) tokens, e.g. <c>["va", "!"]</c>.</param>
public sealed record SentencePair(string[] Source, string[] Target)
{
    /// <summary>The source tokens joined by single spaces (<c>"go ."</c>).</summary>
    public string SourceText => string.Join(' ', Source);

    /// <summary>The target tokens joined by single spaces (<c>"va !"</c>).</summary>
    public string TargetText => string.Join(' ', Target);
}
