namespace Nabla.NN;

// Attention: the course's masked softmax (d2l §10.3) and PyTorch's scaled dot-product attention.
public static partial class Functional
{
    /// <summary>
    /// The course's <c>sequence_mask</c> (d2l §9.5): in each row b of <paramref name="x"/> the
    /// positions t ≥ validLen[b] along dim 1 are replaced by <paramref name="value"/>. Unlike d2l,
    /// which writes into X, this returns a new tensor, differentiable with respect to x (the masked
    /// positions get no gradient). Trailing dims after the first two share their row's mask.
    /// Shape: x [N, T, *], validLen [N] → [N, T, *].
    /// </summary>
    /// <param name="x">The sequences, at least 2-D: batch first, positions second.</param>
    /// <param name="validLen">How many leading positions of each row to keep (integer or floating point).</param>
    /// <param name="value">What the other positions become.</param>
    public static Tensor SequenceMask(Tensor x, Tensor validLen, double value = 0)
    {
        if (x.Rank < 2) throw new ShapeException($"SequenceMask: x must have at least 2 dims (batch, positions), got shape {x.Shape}.");
        if (validLen.Rank != 1 || validLen.Size(0) != x.Size(0))
            throw new ShapeException($"SequenceMask: validLen must be 1-D with one length per row of x ({x.Size(0)}), got shape {validLen.Shape} for x of shape {x.Shape}.");
        // keep[b, t] = t < validLen[b], then broadcast over the trailing dims.
        var keep = PositionsBelow(x.Size(1), validLen.Unsqueeze(1));
        for (int d = 2; d < x.Rank; d++) keep = keep.Unsqueeze(-1);
        return Tensor.Where(keep, x, value);
    }

    /// <summary>
    /// The course's <c>masked_softmax</c> (d2l §10.3): softmax over the last dim, where the
    /// positions at or past a row's valid length are first set to −10⁶ (so they get weight ≈ 0,
    /// and a row of valid length 0 comes out uniform, as in the course). With
    /// <paramref name="validLens"/> null this is a plain softmax.
    /// Shape: scores [B, *, K]; validLens [B] (one length for every row of batch element b) or
    /// [B, *] (one length per row, e.g. per query) → [B, *, K].
    /// </summary>
    /// <param name="scores">Attention scores, at least 2-D, keys in the last dim.</param>
    /// <param name="validLens">Valid lengths (integer or floating point), or null.</param>
    public static Tensor MaskedSoftmax(Tensor scores, Tensor? validLens)
    {
        if (validLens is null) return scores.Softmax(-1);
        if (scores.Rank < 2) throw new ShapeException($"MaskedSoftmax: scores must have at least 2 dims, got shape {scores.Shape}.");
        var rows = scores.Shape.Dims[..^1];
        Tensor lens;
        if (validLens.Rank == 1 && validLens.Size(0) == scores.Size(0))
        {
            // One length per batch element (d2l's repeat_interleave over the queries).
            lens = validLens;
            for (int d = 1; d < scores.Rank; d++) lens = lens.Unsqueeze(-1);
        }
        else if (validLens.Shape.Dims.AsSpan().SequenceEqual(rows))
            lens = validLens.Unsqueeze(-1); // one length per row
        else
            throw new ShapeException($"MaskedSoftmax: validLens must have shape [{scores.Size(0)}] or [{string.Join(", ", rows)}] for scores of shape {scores.Shape}, got {validLens.Shape}.");
        var keep = PositionsBelow(scores.Size(-1), lens);
        return Tensor.Where(keep, scores, -1e6).Softmax(-1);
    }

    /// <summary>A Bool tensor: position t (the last dim, 0 ≤ t &lt; count) &lt; length, broadcast against <paramref name="lengths"/>.</summary>
    static Tensor PositionsBelow(int count, Tensor lengths) =>
        Tensor.Arange(0, count, 1, DType.Float64).Lt(lengths.To(DType.Float64));
}
