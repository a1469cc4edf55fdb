namespace Nabla.NN;

/// <summary>
/// One Transformer encoder block (<c>nn.TransformerEncoderLayer</c>, Vaswani et al. 2017 §3.1): self-attention and a
/// position-wise feed-forward network linear2(dropout(activation(linear1(x)))), each with dropout and a residual
/// connection, and layer normalisation after each (post-norm) or before each (<see cref="NormFirst"/>, pre-norm).
/// Parameter names as PyTorch's: <c>self_attn.*</c>, <c>linear1.*</c>, <c>linear2.*</c>, <c>norm1.*</c>, <c>norm2.*</c>.
/// Shape: src [S, N, E] ([N, S, E] with batchFirst; unbatched [S, E]), srcMask [S, S] or [N·nhead, S, S],
/// srcKeyPaddingMask [N, S] (masks as <see cref="MultiheadAttention"/>'s: Bool true = masked) → [S, N, E].
/// </summary>
public sealed class TransformerEncoderLayer : Module<Tensor, Tensor>
{
    /// <summary>The self-attention.</summary>
    public MultiheadAttention SelfAttn { get; }

    /// <summary>The first feed-forward map, E → dimFeedforward.</summary>
    public Linear Linear1 { get; }

    /// <summary>Dropout inside the feed-forward network.</summary>
    public Dropout Dropout { get; }

    /// <summary>The second feed-forward map, dimFeedforward → E.</summary>
    public Linear Linear2 { get; }

    /// <summary>Normalisation around the self-attention.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>Normalisation around the feed-forward network.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>Dropout on the self-attention's output.</summary>
    public Dropout Dropout1 { get; }

    /// <summary>Dropout on the feed-forward network's output.</summary>
    public Dropout Dropout2 { get; }

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
    /// <param name="batchFirst">Inputs and outputs are [N, S, E].</param>
    /// <param name="normFirst">Pre-norm (normalise before each sub-block).</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    /// <param name="generator">Random source of the dropout masks; the default generator when null.</param>
    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, DType dtype = DType.Float32, Generator? generator = null)
        : this(new TransformerConfig(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, dtype, generator).Validated("TransformerEncoderLayer"))
    {
    }

    TransformerEncoderLayer(TransformerConfig config)
    {
        this.config = config;
        SelfAttn = config.Attention();
        Linear1 = new Linear(config.DModel, config.DimFeedforward, true, config.DType);
        Dropout = config.Dropout();
        Linear2 = new Linear(config.DimFeedforward, config.DModel, true, config.DType);
        NormFirst = config.NormFirst;
        Norm1 = config.Norm();
        Norm2 = config.Norm();
        Dropout1 = config.Dropout();
        Dropout2 = config.Dropout();
        Activation = config.Activation;
    }

    /// <summary>A new layer with the same configuration and a copy of this one's parameters (PyTorch's <c>copy.deepcopy</c>).</summary>
    public TransformerEncoderLayer Clone()
    {
        var copy = new TransformerEncoderLayer(config);
        copy.LoadStateDict(StateDict());
        copy.Train(Training);
        return copy;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor src) => Forward(src, null);

    /// <summary><see cref="Forward(Tensor, Tensor?, Tensor?, bool)"/> with the module's hooks.</summary>
    public Tensor Call(Tensor src, Tensor? srcMask, Tensor? srcKeyPaddingMask = null, bool isCausal = false) =>
        CallWithHooks(src, x => Forward(x, srcMask, srcKeyPaddingMask, isCausal));

    /// <summary>Runs the block.</summary>
    /// <param name="src">The sequence.</param>
    /// <param name="srcMask">Attention mask [S, S] or [N·nhead, S, S], or null.</param>
    /// <param name="srcKeyPaddingMask">Key padding mask [N, S], or null.</param>
    /// <param name="isCausal">A hint that srcMask is the causal mask (see <see cref="MultiheadAttention"/>).</param>
    public Tensor Forward(Tensor src, Tensor? srcMask, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        var x = src;
        if (NormFirst)
        {
            x = x + SelfAttentionBlock(Norm1.Call(x), srcMask, srcKeyPaddingMask, isCausal);
            return x + FeedForwardBlock(Norm2.Call(x));
        }
        x = Norm1.Call(x + SelfAttentionBlock(x, srcMask, srcKeyPaddingMask, isCausal));
        return Norm2.Call(x + FeedForwardBlock(x));
    }

    Tensor SelfAttentionBlock(Tensor x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout1.Call(SelfAttn.Call(x, x, x, keyPaddingMask, needWeights: false, mask, isCausal: isCausal).Output);

    Tensor FeedForwardBlock(Tensor x) =>
        Dropout2.Call(Linear2.Call(Dropout.Call(TransformerConfig.Activate(Activation, Linear1.Call(x)))));

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"activation={Activation}, norm_first={FormatBool(NormFirst)}";
}
