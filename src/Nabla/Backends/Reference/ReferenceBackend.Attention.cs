using Nabla.Backends.Cpu;

namespace Nabla.Backends.Reference;

// Scaled dot-product attention from its definition, in double: the full [L, S] weights of each head, softmax over each row,
// and the backward from the recomputed weights. Dropout keeps weight (b, i, j) as the op defines it (Attention.Keeps).
internal sealed partial class ReferenceBackend
{
    /// <summary>The operands in double, row-major, and the op's settings: what the backward recomputes the weights from.</summary>
    sealed class ReferenceAttentionState : AttentionState
    {
        public required double[] Query { get; init; }
        public required double[] Key { get; init; }
        public required double[] Value { get; init; }
        public required double[]? Mask { get; init; }
        public required int[] BatchShape { get; init; }
        public required int Batch { get; init; }
        public required int Queries { get; init; }
        public required int Keys { get; init; }
        public required int HeadDim { get; init; }
        public required int ValueDim { get; init; }
        public required bool Causal { get; init; }
        public required double Scale { get; init; }
        public required double DropoutP { get; init; }
        public required ulong Seed { get; init; }

        /// <summary>Head b's weights P [L, S] (rows with no visible key all 0) and dropout factors Z.</summary>
        public (double[,] Weights, double[,] Factors) Weights(int b)
        {
            var weights = new double[Queries, Keys];
            var factors = new double[Queries, Keys];
            for (int i = 0; i < Queries; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < Keys; j++)
                {
                    double score = double.NegativeInfinity;
                    if (!Causal || j <= i)
                    {
                        score = 0;
                        for (int e = 0; e < HeadDim; e++) score += Query[(b * Queries + i) * HeadDim + e] * Key[(b * Keys + j) * HeadDim + e];
                        score = score * Scale + (Mask?[(b * Queries + i) * Keys + j] ?? 0);
                    }
                    weights[i, j] = score;
                    max = Math.Max(max, score);
                    factors[i, j] = DropoutP == 0 || Attention.Keeps(Seed, b, i, j, (float)DropoutP) ? 1 / (1 - DropoutP) : 0;
                }
                // softmax over the visible keys; a row that sees none gets weight 0 everywhere (PyTorch's safe softmax)
                double sum = 0;
                for (int j = 0; j < Keys; j++) sum += weights[i, j] = double.IsNegativeInfinity(max) ? 0 : Math.Exp(weights[i, j] - max);
                for (int j = 0; j < Keys; j++) weights[i, j] = sum == 0 ? 0 : weights[i, j] / sum;
            }
            return (weights, factors);
        }
    }

    public (Tensor Output, AttentionState State) ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? additiveMask,
        bool isCausal, double scale, double dropoutP, ulong dropoutSeed)
    {
        int[] batchShape = query.shape[..^2];
        int seqL = query.shape[^2], seqS = key.shape[^2], valueDim = value.shape[^1];
        var state = new ReferenceAttentionState
        {
            Query = Doubles(query),
            Key = Doubles(key),
            Value = Doubles(value),
            Mask = additiveMask is null ? null : MaskDoubles(additiveMask, [.. batchShape, seqL, seqS]),
            BatchShape = batchShape,
            Batch = Shape.CheckedNumel(batchShape, "ScaledDotProductAttention"),
            Queries = seqL,
            Keys = seqS,
            HeadDim = query.shape[^1],
            ValueDim = valueDim,
            Causal = isCausal,
            Scale = scale,
            DropoutP = dropoutP,
            Seed = dropoutSeed,
        };
        var output = new double[state.Batch * seqL * valueDim];
        for (int b = 0; b < state.Batch; b++)
        {
            var (weights, factors) = state.Weights(b);
            for (int i = 0; i < seqL; i++)
                for (int j = 0; j < seqS; j++)
                    for (int e = 0; e < valueDim; e++)
                        output[(b * seqL + i) * valueDim + e] += weights[i, j] * factors[i, j] * state.Value[(b * seqS + j) * valueDim + e];
        }
        return (FromDoubles(output, [.. batchShape, seqL, valueDim], DType.Float32, "ScaledDotProductAttention"), state);
    }

    /// <summary>The mask broadcast to <paramref name="shape"/> [*, L, S], row-major, in double.</summary>
    static double[] MaskDoubles(Tensor mask, int[] shape)
    {
        var from = Positions(mask, shape);
        var values = new double[from.Length];
        for (int i = 0; i < from.Length; i++) values[i] = ReadDouble(mask.storage.Data, from[i]);
        return values;
    }

    public (Tensor? Query, Tensor? Key, Tensor? Value) ScaledDotProductAttentionBackward(AttentionState state, Tensor output, Tensor gradOutput,
        bool needQuery, bool needKey, bool needValue)
    {
        var s = (ReferenceAttentionState)state;
        int seqL = s.Queries, seqS = s.Keys, e = s.HeadDim, ev = s.ValueDim;
        var g = Doubles(gradOutput);
        double[] gradQuery = new double[s.Query.Length], gradKey = new double[s.Key.Length], gradValue = new double[s.Value.Length];
        for (int b = 0; b < s.Batch; b++)
        {
            var (weights, factors) = s.Weights(b);
            for (int i = 0; i < seqL; i++)
            {
                // dP = G Vᵀ ⊙ Z, dS = P ⊙ (dP − rowsum(P ⊙ dP)); dV = (P ⊙ Z)ᵀ G, dQ = dS K·scale, dK = dSᵀ Q·scale
                var gradWeights = new double[seqS];
                double rowSum = 0;
                for (int j = 0; j < seqS; j++)
                {
                    for (int c = 0; c < ev; c++)
                    {
                        gradWeights[j] += g[(b * seqL + i) * ev + c] * s.Value[(b * seqS + j) * ev + c];
                        gradValue[(b * seqS + j) * ev + c] += weights[i, j] * factors[i, j] * g[(b * seqL + i) * ev + c];
                    }
                    gradWeights[j] *= factors[i, j];
                    rowSum += weights[i, j] * gradWeights[j];
                }
                for (int j = 0; j < seqS; j++)
                {
                    double gradScore = weights[i, j] * (gradWeights[j] - rowSum) * s.Scale;
                    for (int c = 0; c < e; c++)
                    {
                        gradQuery[(b * seqL + i) * e + c] += gradScore * s.Key[(b * seqS + j) * e + c];
                        gradKey[(b * seqS + j) * e + c] += gradScore * s.Query[(b * seqL + i) * e + c];
                    }
                }
            }
        }
        const string op = "ScaledDotProductAttention";
        return (needQuery ? FromDoubles(gradQuery, [.. s.BatchShape, seqL, e], DType.Float32, op) : null,
            needKey ? FromDoubles(gradKey, [.. s.BatchShape, seqS, e], DType.Float32, op) : null,
            needValue ? FromDoubles(gradValue, [.. s.BatchShape, seqS, ev], DType.Float32, op) : null);
    }

    public Tensor AttentionDropoutFactors(AttentionState state)
    {
        var s = (ReferenceAttentionState)state;
        var factors = new double[s.Batch * s.Queries * s.Keys];
        for (int b = 0; b < s.Batch; b++)
        {
            var (_, z) = s.Weights(b);
            for (int i = 0; i < s.Queries; i++)
                for (int j = 0; j < s.Keys; j++) factors[(b * s.Queries + i) * s.Keys + j] = z[i, j];
        }
        return FromDoubles(factors, [.. s.BatchShape, s.Queries, s.Keys], DType.Float32, "ScaledDotProductAttention");
    }
}
