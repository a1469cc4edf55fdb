using Nabla.Jit;
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

    /// <summary>
    /// Scaled dot-product attention with PyTorch 2's semantics (<c>F.scaled_dot_product_attention</c>):
    /// softmax(Q Kᵀ·scale + mask) V, with dropout on the weights when <paramref name="dropoutP"/> &gt; 0. A Bool
    /// <paramref name="attnMask"/> keeps the positions where it is true; a floating-point one is added to the
    /// scores; <paramref name="isCausal"/> lets query i see keys j ≤ i (top-left aligned when L ≠ S). A query
    /// row that sees no key at all gives 0 (PyTorch ≥ 2.5; 1.13's composite would give NaN). float32 runs one fused
    /// kernel (the [L, S] weights are never stored; the backward recomputes them tile by tile; dropout decisions come
    /// from a hash seeded by <paramref name="generator"/>, so they differ from the composite's draws); float64,
    /// broadcast batch dims, empty sizes, dropoutP = 1 and a mask that needs a gradient run the composite of tensor ops.
    /// Shape: query [*, L, E], key [*, S, E], value [*, S, Ev], attnMask broadcastable to [*, L, S] → [*, L, Ev]
    /// (* = any number of batch dims, broadcast between the three).
    /// </summary>
    /// <param name="query">Queries Q.</param>
    /// <param name="key">Keys K.</param>
    /// <param name="value">Values V.</param>
    /// <param name="attnMask">Bool (true = attend) or floating-point (added) mask, or null.</param>
    /// <param name="dropoutP">Probability of zeroing an attention weight (always applied when &gt; 0, as PyTorch's function; layers pass 0 in evaluation).</param>
    /// <param name="isCausal">Apply the causal mask; may not be combined with <paramref name="attnMask"/>.</param>
    /// <param name="scale">Factor on Q Kᵀ; 1/√E when null.</param>
    /// <param name="generator">Random source of the dropout mask; the default generator when null.</param>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null, double dropoutP = 0,
        bool isCausal = false, double? scale = null, Generator? generator = null)
    {
        const string op = "ScaledDotProductAttention";
        var (mask, factor) = CheckAttentionArguments(op, query, key, value, attnMask, dropoutP, isCausal, scale);
        var batch = query.Shape.Dims[..^2];
        bool fused = query.DType == DType.Float32 && dropoutP < 1
            && batch.AsSpan().SequenceEqual(key.Shape.Dims.AsSpan()[..^2]) && batch.AsSpan().SequenceEqual(value.Shape.Dims.AsSpan()[..^2])
            && query.Size(-2) > 0 && key.Size(-2) > 0 && query.Size(-1) > 0 && value.Size(-1) > 0
            && (mask is null || !mask.RequiresGrad);
        Tensor result;
        if (!fused) result = CompositeAttention(query, key, value, mask, dropoutP, isCausal, factor, generator);
        else
        {
            // The kernel takes an additive float32 mask: a Bool one becomes 0 where kept, −∞ elsewhere.
            var additive = mask is null ? null
                : mask.DType == DType.Bool ? Tensor.Zeros(mask.Shape.Dims).MaskedFill(mask.LogicalNot(), double.NegativeInfinity)
                : mask.To(DType.Float32);
            result = Tensor.FusedAttention(query, key, value, additive, isCausal, factor, dropoutP, generator);
        }
        if (Tracer.IsActive) Tracer.Record(GraphOps.ScaledDotProductAttention, result, [query, key, value, attnMask], new() { ["is_causal"] = isCausal, ["scale"] = factor, ["dropout_p"] = dropoutP });
        return result;
    }

    /// <summary>The composite path of <see cref="ScaledDotProductAttention"/> (tensor ops), for tests to compare the fused one with.</summary>
    internal static Tensor CompositeAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask, double dropoutP, bool isCausal, double scale, Generator? generator)
    {
        var weights = Tensor.AttentionWeights(query, key, attnMask, isCausal, scale);
        return Dropout(weights, dropoutP, training: true, generator).MatMul(value);
    }

    /// <summary>Validates the arguments of scaled dot-product attention; returns the mask in the dtype to use and the scale.</summary>
    static (Tensor? Mask, double Scale) CheckAttentionArguments(string op, Tensor query, Tensor key, Tensor value, Tensor? attnMask,
        double dropoutP, bool isCausal, double? scale)
    {
        if (query.Rank < 2 || key.Rank < 2 || value.Rank < 2)
            throw new ShapeException($"{op}: query, key and value need at least 2 dims ([*, L, E], [*, S, E], [*, S, Ev]), got {query.Shape}, {key.Shape} and {value.Shape}.");
        if (query.Size(-1) != key.Size(-1))
            throw new ShapeException($"{op}: query and key must have the same last dim E, got {query.Shape} and {key.Shape}.");
        if (key.Size(-2) != value.Size(-2))
            throw new ShapeException($"{op}: key and value must have the same number of positions S, got {key.Shape} and {value.Shape}.");
        CheckFloating(op, "query", query);
        if (key.DType != query.DType || value.DType != query.DType)
            throw new DTypeException($"{op}: query, key and value must have the same dtype, got {query.DType.TorchName()}, {key.DType.TorchName()} and {value.DType.TorchName()}.");
        var batch = Shape.Broadcast(Shape.Broadcast(query.Shape.Dims[..^2], key.Shape.Dims[..^2], op), value.Shape.Dims[..^2], op);
        if (dropoutP is < 0 or > 1) throw new ArgumentException($"{op}: dropoutP must be in [0, 1], got {dropoutP}.", nameof(dropoutP));
        if (attnMask is not null)
        {
            if (isCausal) throw new ArgumentException($"{op}: give either attnMask or isCausal, not both.", nameof(attnMask));
            int[] scores = [.. batch, query.Size(-2), key.Size(-2)];
            if (attnMask.Rank > scores.Length || !Shape.Broadcast(attnMask.Shape.Dims, scores, op).AsSpan().SequenceEqual(scores))
                throw new ShapeException($"{op}: attnMask of shape {attnMask.Shape} cannot be broadcast to the scores' shape [{string.Join(", ", scores)}].");
            if (attnMask.DType != DType.Bool)
            {
                CheckFloating(op, "attnMask", attnMask);
                attnMask = attnMask.To(query.DType);
            }
        }
        return (attnMask, scale ?? 1 / Math.Sqrt(query.Size(-1)));
    }

    /// <summary>A Bool tensor: position t (the last dim, 0 ≤ t &lt; count) &lt; length, broadcast against <paramref name="lengths"/>.</summary>
    static Tensor PositionsBelow(int count, Tensor lengths) =>
        Tensor.Arange(0, count, 1, DType.Float64).Lt(lengths.To(DType.Float64));
}
