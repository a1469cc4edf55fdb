namespace Nabla.NN;

/// <summary>
/// The course's scaled dot-product attention (d2l §10.3.3): softmax(Q Kᵀ / √d) V with
/// <see cref="Functional.MaskedSoftmax"/> over the valid key positions, and dropout on the
/// attention weights. After each forward, <see cref="AttentionWeights"/> holds the weights
/// (before dropout), as d2l's <c>attention_weights</c>.
/// Shape: queries [B, Q, d], keys [B, K, d], values [B, K, v], validLens [B] or [B, Q] → [B, Q, v]
/// (more leading batch dims are allowed when validLens is null or 1-D).
/// </summary>
public sealed class DotProductAttention : Module<(Tensor Queries, Tensor Keys, Tensor Values, Tensor? ValidLens), Tensor>
{
    /// <summary>Dropout on the attention weights (a child module, as d2l's <c>self.dropout</c>).</summary>
    public Dropout Dropout { get; }

    /// <summary>The weights of the last forward, shape [B, Q, K]; null before the first.</summary>
    public Tensor? AttentionWeights { get; private set; }

    /// <summary>Creates the layer.</summary>
    /// <param name="dropout">Probability of zeroing an attention weight in training mode.</param>
    /// <param name="generator">Random source of the dropout masks; the default generator when null.</param>
    public DotProductAttention(double dropout = 0, Generator? generator = null)
    {
        Dropout = new Dropout(dropout, generator);
    }

    /// <inheritdoc/>
    public override Tensor Forward((Tensor Queries, Tensor Keys, Tensor Values, Tensor? ValidLens) input) =>
        Forward(input.Queries, input.Keys, input.Values, input.ValidLens);

    /// <summary>Attends from <paramref name="queries"/> to <paramref name="keys"/> and mixes <paramref name="values"/>.</summary>
    /// <param name="queries">[B, Q, d].</param>
    /// <param name="keys">[B, K, d].</param>
    /// <param name="values">[B, K, v].</param>
    /// <param name="validLens">Valid key counts, [B] or [B, Q]; null attends to every key.</param>
    public Tensor Forward(Tensor queries, Tensor keys, Tensor values, Tensor? validLens = null)
    {
        if (queries.Rank < 2 || keys.Rank != queries.Rank || values.Rank != queries.Rank || queries.Size(-1) != keys.Size(-1) || keys.Size(-2) != values.Size(-2))
            throw new ShapeException($"DotProductAttention: expects queries [B, Q, d], keys [B, K, d] and values [B, K, v], got {queries.Shape}, {keys.Shape} and {values.Shape}.");
        int d = queries.Size(-1);
        var scores = queries.MatMul(keys.Transpose(-2, -1)) / Math.Sqrt(d);
        AttentionWeights = Functional.MaskedSoftmax(scores, validLens);
        return Dropout.Call(AttentionWeights).MatMul(values);
    }

    /// <summary><see cref="Forward(Tensor, Tensor, Tensor, Tensor?)"/> with the module's hooks.</summary>
    public Tensor Call(Tensor queries, Tensor keys, Tensor values, Tensor? validLens = null) => Call((queries, keys, values, validLens));
}
