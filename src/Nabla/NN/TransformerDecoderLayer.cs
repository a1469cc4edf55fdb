namespace Nabla.NN;

/// <summary>
/// One Transformer decoder block (<c>nn.TransformerDecoderLayer</c>, Vaswani et al. 2017 §3.1): self-attention over
/// the target, attention from the target to the encoder's output (memory), and the position-wise feed-forward
/// network, each with dropout and a residual connection, and layer normalisation after each (post-norm) or
/// before each (<see cref="NormFirst"/>). Parameter names as PyTorch's: <c>self_attn.*</c>, <c>multihead_attn.*</c>,
/// <c>linear1.*</c>, <c>linear2.*</c>, <c>norm1.*</c>, <c>norm2.*</c>, <c>norm3.*</c>.
/// Shape: tgt [T, N, E], memory [S, N, E] ([N, T, E], [N, S, E] with batchFirst; unbatched [T, E], [S, E]);
/// tgtMask [T, T], memoryMask [T, S], tgtKeyPaddingMask [N, T], memoryKeyPaddingMask [N, S] → [T, N, E].
/// </summary>
public sealed class TransformerDecoderLayer : Module<(Tensor Tgt, Tensor Memory), Tensor>
{
    /// <summary>The self-attention over the target.</summary>
    public MultiheadAttention SelfAttn { get; }

    /// <summary>The attention from the target to the memory.</summary>
    public MultiheadAttention MultiheadAttn { get; }

    /// <summary>The first feed-forward map, E → dimFeedforward.</summary>
    public Linear Linear1 { get; }

    /// <summary>Dropout inside the feed-forward network.</summary>
    public Dropout Dropout { get; }

    /// <summary>The second feed-forward map, dimFeedforward → E.</summary>
    public Linear Linear2 { get; }

    /// <summary>Normalisation around the self-attention.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>Normalisation around the attention to the memory.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>Normalisation around the feed-forward network.</summary>
    public LayerNorm Norm3 { get; }

    /// <summary>Dropout on the self-attention's output.</summary>
    public Dropout Dropout1 { get; }

    /// <summary>Dropout on the memory attention's output.</summary>
    public Dropout Dropout2 { get; }

    /// <summary>Dropout on the feed-forward network's output.</summary>
    public Dropout Dropout3 { get; }

    /// <summary>Layer normalisation before each sub-block (pre-norm) rather than after the residual sum.</summary>
    public bool NormFirst { get; }

    /// <summary>"relu" or "gelu".</summary>
    public string Activation { get; }

    readonly TransformerConfig config;

    /// <summary>Creates the layer with PyTorch's default initialisation of its parts.</summary>
    /// <param name="dModel">Features of the input, E.</param>
    /// <param name="nhead">Attention heads; E must be a multiple.</param>
    /// <param name="dimFeedforward">Width of the feed-forward network.</param>
    /// <param name="dropout">Dropout probability everywhere in the layer.</param>
    /// <param name="activation">"relu" or "gelu".</param>
    /// <param name="layerNormEps">ε of the layer normalisations.</param>
    /// <param name="batchFirst">Inputs and outputs are [N, T, E].</param>
    /// <param name="normFirst">Pre-norm (normalise before each sub-block).</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    /// <param name="generator">Random source of the dropout masks; the default generator when null.</param>
    public TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, DType dtype = DType.Float32, Generator? generator = null)
        : this(new TransformerConfig(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, dtype, generator).Validated("TransformerDecoderLayer"))
    {
    }

    TransformerDecoderLayer(TransformerConfig config)
    {
        this.config = config;
        SelfAttn = config.Attention();
        MultiheadAttn = config.Attention();
        Linear1 = new Linear(config.DModel, config.DimFeedforward, true, config.DType);
        Dropout = config.Dropout();
        Linear2 = new Linear(config.DimFeedforward, config.DModel, true, config.DType);
        NormFirst = config.NormFirst;
        Norm1 = config.Norm();
        Norm2 = config.Norm();
        Norm3 = config.Norm();
        Dropout1 = config.Dropout();
        Dropout2 = config.Dropout();
        Dropout3 = config.Dropout();
        Activation = config.Activation;
    }

    /// <summary>A new layer with the same configuration and a copy of this one's parameters (PyTorch's <c>copy.deepcopy</c>).</summary>
    public TransformerDecoderLayer Clone()
    {
        var copy = new TransformerDecoderLayer(config);
        copy.LoadStateDict(StateDict());
        copy.Train(Training);
        return copy;
    }

    /// <inheritdoc/>
    public override Tensor Forward((Tensor Tgt, Tensor Memory) input) => Forward(input.Tgt, input.Memory);

    /// <summary><see cref="Forward(Tensor, Tensor, Tensor?, Tensor?, Tensor?, Tensor?, bool, bool)"/> with the module's hooks.</summary>
    public Tensor Call(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false) =>
        CallWithHooks((tgt, memory), input => Forward(input.Item1, input.Item2, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal));

    /// <summary>Runs the block.</summary>
    /// <param name="tgt">The target sequence.</param>
    /// <param name="memory">The encoder's output.</param>
    /// <param name="tgtMask">Self-attention mask [T, T] or [N·nhead, T, T], or null.</param>
    /// <param name="memoryMask">Memory attention mask [T, S] or [N·nhead, T, S], or null.</param>
    /// <param name="tgtKeyPaddingMask">Target key padding mask [N, T], or null.</param>
    /// <param name="memoryKeyPaddingMask">Memory key padding mask [N, S], or null.</param>
    /// <param name="tgtIsCausal">A hint that tgtMask is the causal mask.</param>
    /// <param name="memoryIsCausal">A hint that memoryMask is the causal mask.</param>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        var x = tgt;
        if (NormFirst)
        {
            x = x + SelfAttentionBlock(Norm1.Call(x), tgtMask, tgtKeyPaddingMask, tgtIsCausal);
            x = x + MemoryAttentionBlock(Norm2.Call(x), memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal);
            return x + FeedForwardBlock(Norm3.Call(x));
        }
        x = Norm1.Call(x + SelfAttentionBlock(x, tgtMask, tgtKeyPaddingMask, tgtIsCausal));
        x = Norm2.Call(x + MemoryAttentionBlock(x, memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal));
        return Norm3.Call(x + FeedForwardBlock(x));
    }

    Tensor SelfAttentionBlock(Tensor x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout1.Call(SelfAttn.Call(x, x, x, keyPaddingMask, needWeights: false, mask, isCausal: isCausal).Output);

    Tensor MemoryAttentionBlock(Tensor x, Tensor memory, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout2.Call(MultiheadAttn.Call(x, memory, memory, keyPaddingMask, needWeights: false, mask, isCausal: isCausal).Output);

    Tensor FeedForwardBlock(Tensor x) =>
        Dropout3.Call(Linear2.Call(Dropout.Call(TransformerConfig.Activate(Activation, Linear1.Call(x)))));

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"activation={Activation}, norm_first={FormatBool(NormFirst)}";
}
