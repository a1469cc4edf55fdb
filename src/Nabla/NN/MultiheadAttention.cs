namespace Nabla.NN;

/// <summary>
/// Multi-head attention (<c>nn.MultiheadAttention</c>, Vaswani et al. 2017 §3.2.2): the queries, keys and values
/// are projected into <see cref="NumHeads"/> heads of size embedDim / numHeads, each head runs
/// <see cref="Functional.ScaledDotProductAttention"/>, and the heads are concatenated and projected by
/// <see cref="OutProj"/>. Parameters and masks as PyTorch's, so state dicts move between the two:
/// <c>in_proj_weight</c> [3E, E] (or <c>q_proj_weight</c> [E, E], <c>k_proj_weight</c> [E, kdim],
/// <c>v_proj_weight</c> [E, vdim] when kdim or vdim differ from E), <c>in_proj_bias</c> [3E],
/// <c>bias_k</c>/<c>bias_v</c> [1, 1, E], <c>out_proj.weight</c>/<c>out_proj.bias</c>.
/// Shape: query [L, N, E], key [S, N, kdim], value [S, N, vdim] ([N, L, E] … with batchFirst; unbatched
/// [L, E] …); keyPaddingMask [N, S] (Bool: true = ignore that key; or float, added); attnMask [L, S] or
/// [N·numHeads, L, S] (Bool: true = not allowed; or float, added) → output [L, N, E] (batchFirst [N, L, E]),
/// weights [N, L, S] averaged over heads or [N, numHeads, L, S] (when needWeights).
/// </summary>
public sealed class MultiheadAttention : Module<(Tensor Query, Tensor Key, Tensor Value), (Tensor Output, Tensor? Weights)>
{
    /// <summary>Features of a query and of the output, E.</summary>
    public int EmbedDim { get; }

    /// <summary>Features of a key.</summary>
    public int KDim { get; }

    /// <summary>Features of a value.</summary>
    public int VDim { get; }

    /// <summary>Number of parallel heads.</summary>
    public int NumHeads { get; }

    /// <summary>Features per head, E / numHeads.</summary>
    public int HeadDim { get; }

    /// <summary>Dropout probability on the attention weights (training mode only).</summary>
    public double Dropout { get; }

    /// <summary>Inputs and outputs are [N, L, E] rather than [L, N, E].</summary>
    public bool BatchFirst { get; }

    /// <summary>Whether a zero key and value are appended to each head's keys and values.</summary>
    public bool AddZeroAttn { get; }

    /// <summary>The stacked projections of queries, keys and values [3E, E]; null when kdim or vdim differ from E.</summary>
    public Parameter? InProjWeight { get; private set; }

    /// <summary>The query projection [E, E] when kdim or vdim differ from E; otherwise null.</summary>
    public Parameter? QProjWeight { get; private set; }

    /// <summary>The key projection [E, kdim] when kdim or vdim differ from E; otherwise null.</summary>
    public Parameter? KProjWeight { get; private set; }

    /// <summary>The value projection [E, vdim] when kdim or vdim differ from E; otherwise null.</summary>
    public Parameter? VProjWeight { get; private set; }

    /// <summary>The biases of the three projections [3E]; null without bias.</summary>
    public Parameter? InProjBias { get; private set; }

    /// <summary>A learned key appended to the keys [1, 1, E] (addBiasKv); otherwise null.</summary>
    public Parameter? BiasK { get; private set; }

    /// <summary>A learned value appended to the values [1, 1, E] (addBiasKv); otherwise null.</summary>
    public Parameter? BiasV { get; private set; }

    /// <summary>The output projection E → E.</summary>
    public Linear OutProj { get; }

    /// <summary>The random source of the dropout masks.</summary>
    public Generator Generator { get; }

    bool SameEmbedDim => InProjWeight is not null;

    /// <summary>Creates the layer, initialised by <see cref="ResetParameters"/>.</summary>
    /// <param name="embedDim">Features of a query and of the output; a multiple of numHeads.</param>
    /// <param name="numHeads">Number of heads.</param>
    /// <param name="dropout">Dropout probability on the attention weights.</param>
    /// <param name="bias">Whether the input and output projections learn biases.</param>
    /// <param name="addBiasKv">Append a learned key and value (bias_k, bias_v) to the keys and values.</param>
    /// <param name="addZeroAttn">Append a zero key and value to each head's keys and values.</param>
    /// <param name="kdim">Features of a key; embedDim when null.</param>
    /// <param name="vdim">Features of a value; embedDim when null.</param>
    /// <param name="batchFirst">Inputs and outputs are [N, L, E].</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    /// <param name="generator">Random source of the dropout masks; the default generator when null.</param>
    public MultiheadAttention(int embedDim, int numHeads, double dropout = 0, bool bias = true, bool addBiasKv = false, bool addZeroAttn = false,
        int? kdim = null, int? vdim = null, bool batchFirst = false, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (embedDim <= 0 || numHeads <= 0)
            throw new ArgumentException($"MultiheadAttention: embedDim and numHeads must be positive, got {embedDim} and {numHeads}.");
        if (embedDim % numHeads != 0)
            throw new ArgumentException($"MultiheadAttention: embedDim {embedDim} must be divisible by numHeads {numHeads}.", nameof(numHeads));
        if (dropout is < 0 or > 1) throw new ArgumentException($"MultiheadAttention: dropout must be in [0, 1], got {dropout}.", nameof(dropout));
        EmbedDim = embedDim;
        KDim = kdim ?? embedDim;
        VDim = vdim ?? embedDim;
        if (KDim <= 0 || VDim <= 0) throw new ArgumentException($"MultiheadAttention: kdim and vdim must be positive, got {KDim} and {VDim}.");
        NumHeads = numHeads;
        HeadDim = embedDim / numHeads;
        Dropout = dropout;
        BatchFirst = batchFirst;
        AddZeroAttn = addZeroAttn;
        Generator = generator ?? Generator.Default;
        if (KDim == embedDim && VDim == embedDim)
            InProjWeight = new Parameter(Tensor.Empty([3 * embedDim, embedDim], dtype));
        else
        {
            QProjWeight = new Parameter(Tensor.Empty([embedDim, embedDim], dtype));
            KProjWeight = new Parameter(Tensor.Empty([embedDim, KDim], dtype));
            VProjWeight = new Parameter(Tensor.Empty([embedDim, VDim], dtype));
        }
        InProjBias = bias ? new Parameter(Tensor.Empty([3 * embedDim], dtype)) : null;
        if (addBiasKv)
        {
            BiasK = new Parameter(Tensor.Empty([1, 1, embedDim], dtype));
            BiasV = new Parameter(Tensor.Empty([1, 1, embedDim], dtype));
        }
        OutProj = new Linear(embedDim, embedDim, bias, dtype);
        ResetParameters();
    }

    /// <summary>
    /// PyTorch's initialisation: Xavier-uniform projections, zero biases (in_proj_bias and out_proj.bias),
    /// Xavier-normal bias_k and bias_v; out_proj.weight keeps Linear's default.
    /// </summary>
    public void ResetParameters()
    {
        if (InProjWeight is not null) Init.XavierUniform_(InProjWeight);
        else
        {
            Init.XavierUniform_(QProjWeight!);
            Init.XavierUniform_(KProjWeight!);
            Init.XavierUniform_(VProjWeight!);
        }
        if (InProjBias is not null)
        {
            Init.Zeros_(InProjBias);
            Init.Zeros_(OutProj.Bias!);
        }
        if (BiasK is not null) Init.XavierNormal_(BiasK);
        if (BiasV is not null) Init.XavierNormal_(BiasV);
    }

    /// <inheritdoc/>
    public override (Tensor Output, Tensor? Weights) Forward((Tensor Query, Tensor Key, Tensor Value) input) =>
        Forward(input.Query, input.Key, input.Value);

    /// <summary><see cref="Forward(Tensor, Tensor, Tensor, Tensor?, bool, Tensor?, bool, bool)"/> with the module's hooks (PyTorch's <c>mha(q, k, v, …)</c>).</summary>
    public (Tensor Output, Tensor? Weights) Call(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null, bool needWeights = true,
        Tensor? attnMask = null, bool averageAttnWeights = true, bool isCausal = false) =>
        CallWithHooks((query, key, value), input => Forward(input.Item1, input.Item2, input.Item3, keyPaddingMask, needWeights, attnMask, averageAttnWeights, isCausal));

    /// <summary>Attends from the queries to the keys in every head (see the class summary for shapes).</summary>
    /// <param name="query">Queries.</param>
    /// <param name="key">Keys.</param>
    /// <param name="value">Values.</param>
    /// <param name="keyPaddingMask">[N, S] (or [S] unbatched): Bool true = ignore that key, or float added to its scores.</param>
    /// <param name="needWeights">Also return the attention weights (computed explicitly; otherwise the fused kernel may run).</param>
    /// <param name="attnMask">[L, S] or [N·numHeads, L, S]: Bool true = not allowed, or float added to the scores.</param>
    /// <param name="averageAttnWeights">Return the weights averaged over the heads ([N, L, S]) rather than per head.</param>
    /// <param name="isCausal">A hint that attnMask is the causal mask (it must then be given): without a key padding
    /// mask and without weights, the causal kernel runs and attnMask is not read, as in PyTorch.</param>
    public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null, bool needWeights = true,
        Tensor? attnMask = null, bool averageAttnWeights = true, bool isCausal = false)
    {
        const string op = "MultiheadAttention";
        bool batched = query.Rank == 3;
        if (query.Rank is not (2 or 3) || key.Rank != query.Rank || value.Rank != query.Rank)
            throw new ShapeException($"{op}: query, key and value must all be 3-D (batched) or all 2-D (unbatched), got {query.Shape}, {key.Shape} and {value.Shape}.");
        if (query.Size(-1) != EmbedDim || key.Size(-1) != KDim || value.Size(-1) != VDim)
            throw new ShapeException($"{op}: expects query, key and value with {EmbedDim}, {KDim} and {VDim} features, got {query.Shape}, {key.Shape} and {value.Shape}.");
        if (isCausal && attnMask is null)
            throw new ArgumentException($"{op}: isCausal is a hint that attnMask is the causal mask; give attnMask too.", nameof(isCausal));
        // Work batch first: [N, L, E].
        var (q, k, v) = !batched ? (query.Unsqueeze(0), key.Unsqueeze(0), value.Unsqueeze(0))
            : BatchFirst ? (query, key, value) : (query.Transpose(0, 1), key.Transpose(0, 1), value.Transpose(0, 1));
        int batch = q.Size(0), seqL = q.Size(1), seqS = k.Size(1);
        if (k.Size(0) != batch || v.Size(0) != batch || v.Size(1) != seqS)
            throw new ShapeException($"{op}: query, key and value must have the same batch size, and key and value the same length, got {query.Shape}, {key.Shape} and {value.Shape}.");
        if (keyPaddingMask is not null && !keyPaddingMask.Shape.Dims.AsSpan().SequenceEqual(batched ? [batch, seqS] : [seqS]))
            throw new ShapeException($"{op}: keyPaddingMask must have shape [{(batched ? $"{batch}, " : "")}{seqS}], got {keyPaddingMask.Shape}.");
        if (attnMask is not null && !(attnMask.Shape.Dims.AsSpan().SequenceEqual([seqL, seqS]) || attnMask.Shape.Dims.AsSpan().SequenceEqual([batch * NumHeads, seqL, seqS])))
            throw new ShapeException($"{op}: attnMask must have shape [{seqL}, {seqS}] or [{batch * NumHeads}, {seqL}, {seqS}], got {attnMask.Shape}.");

        (q, k, v) = Project(query, key, value, q, k, v);
        // Masks as one additive float mask broadcastable to [N, H, L, S].
        var dtype = q.DType;
        bool causalKernel = isCausal && keyPaddingMask is null && !needWeights;
        var mask = causalKernel ? null : Additive(attnMask, dtype);
        if (mask is not null && mask.Rank == 3) mask = mask.View(batch, NumHeads, seqL, seqS);
        var padding = Additive(keyPaddingMask, dtype)?.View(batch, 1, 1, seqS);
        if (BiasK is not null)
        {
            k = Tensor.Cat([k, BiasK.Expand(batch, 1, EmbedDim)], 1);
            v = Tensor.Cat([v, BiasV!.Expand(batch, 1, EmbedDim)], 1);
            mask = PadKeys(mask);
            padding = PadKeys(padding);
        }
        // Heads: [N, S, E] → [N, H, S, hd].
        var qh = q.View(batch, seqL, NumHeads, HeadDim).Transpose(1, 2);
        var kh = k.View(batch, k.Size(1), NumHeads, HeadDim).Transpose(1, 2);
        var vh = v.View(batch, v.Size(1), NumHeads, HeadDim).Transpose(1, 2);
        if (AddZeroAttn)
        {
            kh = Tensor.Cat([kh, Tensor.Zeros([batch, NumHeads, 1, HeadDim], dtype)], 2);
            vh = Tensor.Cat([vh, Tensor.Zeros([batch, NumHeads, 1, HeadDim], dtype)], 2);
            mask = PadKeys(mask);
            padding = PadKeys(padding);
        }
        mask = mask is null ? padding : padding is null ? mask : mask + padding;
        double dropout = Training ? Dropout : 0;

        Tensor heads;
        Tensor? weights = null;
        if (needWeights)
        {
            weights = Tensor.AttentionWeights(qh, kh, mask, isCausal: false, 1 / Math.Sqrt(HeadDim));
            weights = Functional.Dropout(weights, dropout, training: true, Generator);
            heads = weights.MatMul(vh);
            if (averageAttnWeights) weights = weights.Mean(1);
            if (!batched) weights = weights.Squeeze(0);
        }
        else heads = Functional.ScaledDotProductAttention(qh, kh, vh, mask, dropout, causalKernel, generator: Generator);

        // [N, H, L, hd] → [N, L, E] → out_proj.
        var output = OutProj.Call(heads.Transpose(1, 2).Reshape(batch, seqL, EmbedDim));
        output = !batched ? output.Squeeze(0) : BatchFirst ? output : output.Transpose(0, 1);
        return (output, weights);
    }

    /// <summary>
    /// The input projections, batch first. Self-attention (query, key and value the same tensor) runs one product
    /// with the stacked weight and splits it; otherwise each input gets its slice of the weight (or its own weight).
    /// </summary>
    (Tensor Q, Tensor K, Tensor V) Project(Tensor query, Tensor key, Tensor value, Tensor q, Tensor k, Tensor v)
    {
        int e = EmbedDim;
        Tensor? Bias(int part) => InProjBias?.Narrow(0, part * e, e);
        if (SameEmbedDim)
        {
            if (ReferenceEquals(query, key) && ReferenceEquals(key, value))
            {
                var qkv = Functional.Linear(q, InProjWeight!, InProjBias);
                return (qkv.Narrow(-1, 0, e), qkv.Narrow(-1, e, e), qkv.Narrow(-1, 2 * e, e));
            }
            return (Functional.Linear(q, InProjWeight!.Narrow(0, 0, e), Bias(0)),
                Functional.Linear(k, InProjWeight!.Narrow(0, e, e), Bias(1)),
                Functional.Linear(v, InProjWeight!.Narrow(0, 2 * e, e), Bias(2)));
        }
        return (Functional.Linear(q, QProjWeight!, Bias(0)), Functional.Linear(k, KProjWeight!, Bias(1)), Functional.Linear(v, VProjWeight!, Bias(2)));
    }

    /// <summary>A mask as an additive float mask: a Bool one (true = masked) becomes −∞ where true and 0 elsewhere.</summary>
    static Tensor? Additive(Tensor? mask, DType dtype) => mask switch
    {
        null => null,
        { DType: DType.Bool } => Tensor.Zeros(mask.Shape.Dims, dtype).MaskedFill(mask, double.NegativeInfinity),
        _ => mask.DType == dtype ? mask : mask.To(dtype),
    };

    /// <summary>One more key column of zeros (nothing masked) on the last dim, for an appended key.</summary>
    static Tensor? PadKeys(Tensor? mask) =>
        mask is null ? null : Tensor.Cat([mask, Tensor.Zeros([.. mask.Shape.Dims[..^1], 1], mask.DType)], -1);
}
