using Nabla.Backends.Cpu;

namespace Nabla;

// Scaled dot-product attention: the attention weights as tensor ops (the composite path, and the
// differentiable backward of the fused op), and the fused float32 op whose forward and backward are the
// tiled kernels in Backends/Cpu/Attention.cs. Functional.ScaledDotProductAttention validates and picks.
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
    /// broadcasts to [*, L, S] and needs no gradient. The [L, S] weights are never stored: the backward
    /// recomputes them tile by tile from each row's log-sum-exp (see <see cref="Attention"/>). Under
    /// <c>createGraph</c> the backward is the composite formula in tensor ops instead, so it is differentiable.
    /// Shape: → [*, L, Ev].
    /// </summary>
    internal static Tensor FusedAttention(Tensor query, Tensor key, Tensor value, Tensor? additiveMask, bool isCausal, double scale)
    {
        const string op = "ScaledDotProductAttention";
        int[] batchShape = query.shape[..^2];
        int seqL = query.shape[^2], seqS = key.shape[^2], headDim = query.shape[^1], valueDim = value.shape[^1];
        int batch = 1;
        foreach (int d in batchShape) batch *= d;
        var q = query.Detach().Contiguous();
        var k = key.Detach().Contiguous();
        var v = value.Detach().Contiguous();
        var (maskData, maskOffsets) = MaskBlocks(additiveMask, batchShape, seqL, seqS);
        var problem = new AttentionProblem
        {
            Batch = batch, Queries = seqL, Keys = seqS, HeadDim = headDim, ValueDim = valueDim, Scale = (float)scale, Causal = isCausal,
            Query = q.Data<float>(), QueryOffset = q.offset, Key = k.Data<float>(), KeyOffset = k.offset, Value = v.Data<float>(), ValueOffset = v.offset,
            Mask = maskData, MaskOffsets = maskOffsets,
        };
        var result = Uninitialized([.. batchShape, seqL, valueDim], DType.Float32, op);
        var logSumExp = Uninitialized([batch, seqL], DType.Float32, op);
        Attention.Forward(problem, result.Data<float>(), result.offset, logSumExp.Data<float>());

        if (Node.ShouldRecord([query, key, value]))
        {
            bool needQ = query.RequiresGrad, needK = key.RequiresGrad, needV = value.RequiresGrad;
            Node.Record(result, "ScaledDotProductFlashAttentionForCpuBackward0", [query, key, value], g =>
            {
                if (GradMode.IsEnabled) return CompositeAttentionBackward(g, query, key, value, additiveMask, isCausal, scale, needQ, needK, needV);
                var gradOutput = g.ToDTypeIfNeeded(DType.Float32).Contiguous();
                var gradQuery = Uninitialized(q.shape, DType.Float32, op);
                var gradKey = Uninitialized(k.shape, DType.Float32, op);
                var gradValue = Uninitialized(v.shape, DType.Float32, op);
                Attention.Backward(problem, result.Data<float>(), result.offset, gradOutput.Data<float>(), gradOutput.offset, logSumExp.Data<float>(),
                    gradQuery.Data<float>(), gradKey.Data<float>(), gradValue.Data<float>());
                return [needQ ? gradQuery : null, needK ? gradKey : null, needV ? gradValue : null];
            }, query, key, value, result);
        }
        return result;
    }

    /// <summary>
    /// The additive mask as row-major [L, S] blocks, one per distinct batch entry it has, and where batch entry b's
    /// block starts (a mask broadcast over a batch dim is stored once for it).
    /// </summary>
    static (float[]? Data, int[]? Offsets) MaskBlocks(Tensor? mask, int[] batchShape, int seqL, int seqS)
    {
        if (mask is null) return (null, null);
        var m = mask.Detach();
        while (m.Rank < batchShape.Length + 2) m = m.Unsqueeze(0);
        m = m.Expand([.. m.shape[..^2], seqL, seqS]).Contiguous();
        var offsets = new int[Math.Max(1, batchShape.Aggregate(1, (a, d) => a * d))];
        for (int b = 0; b < offsets.Length; b++)
        {
            int rest = b, offset = m.offset;
            for (int d = batchShape.Length - 1; d >= 0; d--)
            {
                int index = rest % batchShape[d];
                rest /= batchShape[d];
                if (m.shape[d] != 1) offset += index * m.strides[d];
            }
            offsets[b] = offset;
        }
        return (m.Data<float>(), offsets);
    }

    /// <summary>
    /// The attention backward in tensor ops, from the weights P recomputed from the inputs: dV = Pᵀ G,
    /// dS = P ⊙ (G Vᵀ − rowsum(P ⊙ G Vᵀ)), dQ = dS K·scale, dK = dSᵀ Q·scale.
    /// </summary>
    static Tensor?[] CompositeAttentionBackward(Tensor g, Tensor query, Tensor key, Tensor value, Tensor? additiveMask, bool isCausal,
        double scale, bool needQ, bool needK, bool needV)
    {
        var weights = AttentionWeights(query, key, additiveMask, isCausal, scale);
        var gradWeights = g.MatMul(value.MT);
        var gradScores = weights * (gradWeights - (gradWeights * weights).Sum(-1, keepDim: true)) * scale;
        return [
            needQ ? gradScores.MatMul(key) : null,
            needK ? gradScores.MT.MatMul(query) : null,
            needV ? weights.MT.MatMul(g) : null,
        ];
    }
}
