namespace Nabla.Backends.Cpu;

// Fused scaled dot-product attention on the tiled float32 kernels of Attention, which read Q, K and V in place and write
// the output and gradients in the layout multi-head attention merges its heads from.
internal sealed partial class CpuBackend
{
    /// <summary>What the CPU forward keeps: the problem (operand layouts, mask, dropout seed) and each row's log-sum-exp.</summary>
    sealed class CpuAttentionState(AttentionProblem problem, Tensor logSumExp, int[] batchShape) : AttentionState
    {
        public AttentionProblem Problem { get; } = problem;
        public Tensor LogSumExp { get; } = logSumExp;
        public int[] BatchShape { get; } = batchShape;
    }

    public (Tensor Output, AttentionState State) ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? additiveMask,
        bool isCausal, double scale, double dropoutP, ulong dropoutSeed)
    {
        const string op = "ScaledDotProductAttention";
        int[] batchShape = query.shape[..^2];
        int seqL = query.shape[^2], seqS = key.shape[^2], headDim = query.shape[^1], valueDim = value.shape[^1];
        int batch = 1;
        foreach (int d in batchShape) batch *= d;
        // 4-D [N, H, L, E] operands are read in place when their rows are contiguous (the heads of a projection, [N, L, H, E]
        // transposed), and the output and gradients are written in that layout: no copies in or out of multi-head attention.
        int heads = query.Rank == 4 ? query.shape[1] : 1;
        var (maskData, maskOffsets) = MaskBlocks(additiveMask, batchShape, seqL, seqS);
        var problem = new AttentionProblem
        {
            Batch = batch,
            Queries = seqL,
            Keys = seqS,
            HeadDim = headDim,
            ValueDim = valueDim,
            Scale = (float)scale,
            Causal = isCausal,
            Heads = heads,
            Query = Heads(query, heads),
            Key = Heads(key, heads),
            Value = Heads(value, heads),
            Mask = maskData,
            MaskOffsets = maskOffsets,
            DropoutP = (float)dropoutP,
            DropoutSeed = dropoutSeed,
        };
        var result = HeadsLayout(batchShape, seqL, valueDim, op);
        var logSumExp = Allocate([batch, seqL], DType.Float32, zeroed: false, op);
        Attention.Forward(problem, Heads(result, heads), logSumExp.HostData<float>());
        return (result, new CpuAttentionState(problem, logSumExp, batchShape));
    }

    public (Tensor? Query, Tensor? Key, Tensor? Value) ScaledDotProductAttentionBackward(AttentionState state, Tensor output, Tensor gradOutput,
        bool needQuery, bool needKey, bool needValue)
    {
        const string op = "ScaledDotProductAttention";
        var (problem, batchShape) = (((CpuAttentionState)state).Problem, ((CpuAttentionState)state).BatchShape);
        int heads = problem.Heads;
        var gradQuery = HeadsLayout(batchShape, problem.Queries, problem.HeadDim, op);
        var gradKey = HeadsLayout(batchShape, problem.Keys, problem.HeadDim, op);
        var gradValue = HeadsLayout(batchShape, problem.Keys, problem.ValueDim, op);
        Attention.Backward(problem, Heads(output, heads), Heads(gradOutput, heads), ((CpuAttentionState)state).LogSumExp.HostData<float>(),
            Heads(gradQuery, heads), Heads(gradKey, heads), Heads(gradValue, heads));
        return (needQuery ? gradQuery : null, needKey ? gradKey : null, needValue ? gradValue : null);
    }

    public Tensor AttentionDropoutFactors(AttentionState state)
    {
        var (problem, batchShape) = (((CpuAttentionState)state).Problem, ((CpuAttentionState)state).BatchShape);
        return Tensor.OfStorage(Storage.Wrap(Attention.DropoutFactors(problem), Device.Cpu), [.. batchShape, problem.Queries, problem.Keys]);
    }

    /// <summary>
    /// A new float32 tensor of shape [*, rows, columns]; for 4-D [N, H, rows, columns] its memory is [N, rows, H, columns]
    /// (the tensor a transposed view of it), the layout in which multi-head attention merges the heads without a copy.
    /// </summary>
    Tensor HeadsLayout(int[] batchShape, int rows, int columns, string op) =>
        batchShape.Length == 2
            ? Allocate([batchShape[0], rows, batchShape[1], columns], DType.Float32, zeroed: false, op).Transpose(1, 2)
            : Allocate([.. batchShape, rows, columns], DType.Float32, zeroed: false, op);

    /// <summary>
    /// Where each head's rows of <paramref name="tensor"/> [*, rows, columns] lie: read in place when 4-D [N, H, rows, columns]
    /// with contiguous rows (any batch, head and row strides), otherwise from a contiguous copy.
    /// </summary>
    static HeadBuffer Heads(Tensor tensor, int heads)
    {
        if (tensor.Rank == 4 && tensor.strides[3] == 1 && tensor.shape[1] == heads)
            return new HeadBuffer(tensor.HostData<float>(), tensor.offset, tensor.strides[0], tensor.strides[1], tensor.strides[2]);
        var c = tensor.Contiguous();
        long rowSize = (long)c.shape[^2] * c.shape[^1];
        return new HeadBuffer(c.HostData<float>(), c.offset, rowSize * heads, rowSize, c.shape[^1]);
    }

    /// <summary>
    /// The additive mask as row-major [L, S] blocks, one per distinct batch entry it has, and where batch entry b's
    /// block starts (a mask broadcast over a batch dim is stored once for it).
    /// </summary>
    static (float[]? Data, int[]? Offsets) MaskBlocks(Tensor? mask, int[] batchShape, int seqL, int seqS)
    {
        if (mask is null) return (null, null);
        var m = mask;
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
        return (m.HostData<float>(), offsets);
    }
}
