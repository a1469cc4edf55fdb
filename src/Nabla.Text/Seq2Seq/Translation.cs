namespace Nabla.Text.Seq2Seq;

/// <summary>A decoded translation.</summary>
/// <param name="Tokens">The target tokens, without &lt;eos&gt;.</param>
/// <param name="Score">Log-probability of the tokens (with &lt;eos&gt; when one was produced); for beam search divided by L^α.</param>
/// <param name="AttentionWeights">For attention models, Float32 [output steps, source steps]: the weights over the source at each decoded step (the step that produced &lt;eos&gt; included); otherwise null.</param>
public sealed record Translation(string[] Tokens, double Score, Tensor? AttentionWeights)
{
    /// <summary>The tokens joined by single spaces (<c>"je suis chez moi ."</c>).</summary>
    public string Text => string.Join(' ', Tokens);
}
