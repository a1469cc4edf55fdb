using Nabla.Backends;

namespace Nabla;

// Scaled dot-product attention: the attention weights as tensor ops (the composite path, and the
// differentiable backward of the fused op), and the fused float32 op whose forward and backward are the backend's
// (IBackend.ScaledDotProductAttention; on the CPU the tiled kernels in Backends/Cpu/Attention/Attention.cs).
// Functional.ScaledDotProductAttention validates and picks.
public partial class Tensor
{
    /// <summary>
    /// softmax(Q Kᵀ·scale + mask) over the keys, as tensor ops: a Bool mask (or <paramref name="isCausal"/>: key j
    /// seen by query i when j ≤ i) keeps where true, a float mask is added. A row with no visible key gets weight 0
    /// everywhere, not NaN (PyTorch ≥ 2.5's safe softmax), and no gradient.
    /// Shape: query [*, L, E], key [*, S, E], mask broadcastable to [*, L, S] → [*, L, S].
    /// </summary>
    internal static Tensor AttentionWeights(Tensor query, Tensor key, Tensor? attnMask, bool isCausal, double scale)
    {
        var scores = query.MatMul(key.MT) * scale;
        if (isCausal) return Where(CausalMask(query.shape[^2], key.shape[^2]), scores, double.NegativeInfinity).Softmax(-1); // every row sees key 0
        if (attnMask is null) return scores.Softmax(-1);
        scores = attnMask.DType == DType.Bool ? Where(attnMask, scores, double.NegativeInfinity) : scores + attnMask;
        var rowHasKey = scores.Detach().Max(-1, keepDim: true).Values.Gt(double.NegativeInfinity);
        return Where(rowHasKey, Where(rowHasKey, scores, 0.0).Softmax(-1), 0.0);
    }

    /// <summary>A Bool [L, S] mask that keeps key j for query i when j ≤ i (PyTorch's <c>is_causal</c>, top-left aligned).</summary>
    internal static Tensor CausalMask(int queries, int keys) =>
        Arange(queries, DType.Int64).Unsqueeze(1).Ge(Arange(keys, DType.Int64).Unsqueeze(0));

    /// <summary>
    /// Fused softmax(Q Kᵀ·scale + mask) V for float32 query [*, L, E], key [*, S, E], value [*, S, Ev] with the
    /// same batch dims * and L, S, E, Ev &gt; 0; <paramref name="additiveMask"/> is null or a float32 tensor that
    /// broadcasts to [*, L, S] and needs no gradient. With <paramref name="dropoutP"/> &gt; 0 each weight is dropped by a
    /// counter-based hash seeded from <paramref name="generator"/> (<see cref="Backends.Cpu.Attention.Keeps"/>). On the CPU the [L, S]
    /// weights are never stored: the backward recomputes them tile by tile from each row's log-sum-exp. Under
    /// <c>createGraph</c> the backward is the composite formula in tensor ops instead, so it is differentiable.
    /// Shape: → [*, L, Ev].
    /// </summary>
    internal static Tensor FusedAttention(Tensor query, Tensor key, Tensor value, Tensor? additiveMask, bool isCausal, double scale,
        double dropoutP = 0, Generator? generator = null)
    {
        var backend = Backend.Of("ScaledDotProductAttention", query, key, value);
        ulong seed = dropoutP > 0 ? (generator ?? Generator.Default).NextUInt64() : 0;
        var (result, state) = backend.ScaledDotProductAttention(query.Detach(), key.Detach(), value.Detach(), additiveMask?.Detach(),
            isCausal, scale, dropoutP, seed);
        if (Node.ShouldRecord([query, key, value]))
        {
            bool needQ = query.RequiresGrad, needK = key.RequiresGrad, needV = value.RequiresGrad;
            Node.Record(result, "ScaledDotProductFlashAttentionForCpuBackward0", [query, key, value], g =>
            {
                if (GradMode.IsEnabled)
                {
                    var factors = dropoutP > 0 ? backend.AttentionDropoutFactors(state) : null;
                    return CompositeAttentionBackward(g, query, key, value, additiveMask, isCausal, scale, factors, needQ, needK, needV);
                }
                var (gradQuery, gradKey, gradValue) = backend.ScaledDotProductAttentionBackward(state, result, g.ToDTypeIfNeeded(DType.Float32), needQ, needK, needV);
                return [gradQuery, gradKey, gradValue];
            }, query, key, value, result);
        }
        return result;
    }

    /// <summary>
    /// The attention backward in tensor ops, from the weights P recomputed from the inputs and the dropout factors Z
    /// (null: none): dV = (P ⊙ Z)ᵀ G, dP = G Vᵀ ⊙ Z, dS = P ⊙ (dP − rowsum(P ⊙ dP)), dQ = dS K·scale, dK = dSᵀ Q·scale.
    /// </summary>
    static Tensor?[] CompositeAttentionBackward(Tensor g, Tensor query, Tensor key, Tensor value, Tensor? additiveMask, bool isCausal,
        double scale, Tensor? dropoutFactors, bool needQ, bool needK, bool needV)
    {
        var weights = AttentionWeights(query, key, additiveMask, isCausal, scale);
        var kept = dropoutFactors is null ? weights : weights * dropoutFactors;
        var gradWeights = g.MatMul(value.MT);
        if (dropoutFactors is not null) gradWeights = gradWeights * dropoutFactors;
        var gradScores = weights * (gradWeights - (gradWeights * weights).Sum(-1, keepDim: true)) * scale;
        return [
            needQ ? gradScores.MatMul(key) : null,
            needK ? gradScores.MT.MatMul(query) : null,
            needV ? kept.MT.MatMul(g) : null,
        ];
    }
}
