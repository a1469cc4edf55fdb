namespace Nabla.NN;

/// <summary>
/// The encoder–decoder Transformer (<c>nn.Transformer</c>, Vaswani et al. 2017): a <see cref="TransformerEncoder"/> of
/// numEncoderLayers layers with a final LayerNorm, and a <see cref="TransformerDecoder"/> of numDecoderLayers layers
/// with a final LayerNorm that attends to the encoder's output. Every weight matrix is re-initialised Xavier-uniform,
/// as PyTorch's <c>_reset_parameters</c>. Parameter names: <c>encoder.layers.0.*</c>, <c>encoder.norm.*</c>,
/// <c>decoder.layers.0.*</c>, <c>decoder.norm.*</c>.
/// Shape: src [S, N, E], tgt [T, N, E] ([N, S, E], [N, T, E] with batchFirst) → [T, N, E].
/// </summary>
public sealed class Transformer : Module<(Tensor Src, Tensor Tgt), Tensor>
{
    /// <summary>The encoder stack.</summary>
    public TransformerEncoder Encoder { get; }

    /// <summary>The decoder stack.</summary>
    public TransformerDecoder Decoder { get; }

    /// <summary>Features of the inputs and outputs, E.</summary>
    public int DModel { get; }

    /// <summary>Attention heads per layer.</summary>
    public int Nhead { get; }

    /// <summary>Inputs and outputs are [N, *, E].</summary>
    public bool BatchFirst { get; }

    /// <summary>Creates the model (see the class summary).</summary>
    /// <param name="dModel">Features of the inputs, E.</param>
    /// <param name="nhead">Attention heads; E must be a multiple.</param>
    /// <param name="numEncoderLayers">Layers of the encoder.</param>
    /// <param name="numDecoderLayers">Layers of the decoder.</param>
    /// <param name="dimFeedforward">Width of the feed-forward networks.</param>
    /// <param name="dropout">Dropout probability everywhere.</param>
    /// <param name="activation">"relu" or "gelu".</param>
    /// <param name="layerNormEps">ε of the layer normalisations.</param>
    /// <param name="batchFirst">Inputs and outputs are [N, *, E].</param>
    /// <param name="normFirst">Pre-norm layers.</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    /// <param name="generator">Random source of the dropout masks; the default generator when null.</param>
    public Transformer(int dModel = 512, int nhead = 8, int numEncoderLayers = 6, int numDecoderLayers = 6, int dimFeedforward = 2048,
        double dropout = 0.1, string activation = "relu", double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false,
        DType dtype = DType.Float32, Generator? generator = null)
    {
        var encoderLayer = new TransformerEncoderLayer(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, dtype, generator);
        Encoder = new TransformerEncoder(encoderLayer, numEncoderLayers, new LayerNorm(dModel, layerNormEps, dtype: dtype));
        var decoderLayer = new TransformerDecoderLayer(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, dtype, generator);
        Decoder = new TransformerDecoder(decoderLayer, numDecoderLayers, new LayerNorm(dModel, layerNormEps, dtype: dtype));
        DModel = dModel;
        Nhead = nhead;
        BatchFirst = batchFirst;
        ResetParameters();
    }

    /// <summary>PyTorch's <c>_reset_parameters</c>: Xavier-uniform for every parameter with more than one dim.</summary>
    public void ResetParameters()
    {
        foreach (var p in Parameters())
            if (p.Rank > 1) Init.XavierUniform_(p);
    }

    /// <summary>
    /// A float [size, size] mask with −∞ above the diagonal and 0 elsewhere (<c>generate_square_subsequent_mask</c>):
    /// position i attends to positions ≤ i.
    /// </summary>
    /// <param name="size">Sequence length.</param>
    /// <param name="dtype">Floating-point type of the mask.</param>
    public static Tensor GenerateSquareSubsequentMask(int size, DType dtype = DType.Float32)
    {
        if (size < 0) throw new ArgumentException($"GenerateSquareSubsequentMask: size must be non-negative, got {size}.", nameof(size));
        return Tensor.Zeros([size, size], dtype).MaskedFill(Tensor.CausalMask(size, size).LogicalNot(), double.NegativeInfinity);
    }

    /// <inheritdoc/>
    public override Tensor Forward((Tensor Src, Tensor Tgt) input) => Forward(input.Src, input.Tgt);

    /// <summary><see cref="Forward(Tensor, Tensor, Tensor?, Tensor?, Tensor?, Tensor?, Tensor?, Tensor?, bool, bool, bool)"/> with the module's hooks.</summary>
    public Tensor Call(Tensor src, Tensor tgt, Tensor? srcMask = null, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? srcKeyPaddingMask = null, Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null,
        bool srcIsCausal = false, bool tgtIsCausal = false, bool memoryIsCausal = false) =>
        CallWithHooks((src, tgt), input => Forward(input.Item1, input.Item2, srcMask, tgtMask, memoryMask, srcKeyPaddingMask, tgtKeyPaddingMask,
            memoryKeyPaddingMask, srcIsCausal, tgtIsCausal, memoryIsCausal));

    /// <summary>Encodes <paramref name="src"/> and decodes <paramref name="tgt"/> against it.</summary>
    /// <param name="src">The source sequence.</param>
    /// <param name="tgt">The target sequence.</param>
    /// <param name="srcMask">Encoder self-attention mask [S, S], or null.</param>
    /// <param name="tgtMask">Decoder self-attention mask [T, T] (e.g. <see cref="GenerateSquareSubsequentMask"/>), or null.</param>
    /// <param name="memoryMask">Decoder attention mask on the memory [T, S], or null.</param>
    /// <param name="srcKeyPaddingMask">[N, S], or null.</param>
    /// <param name="tgtKeyPaddingMask">[N, T], or null.</param>
    /// <param name="memoryKeyPaddingMask">[N, S], or null.</param>
    /// <param name="srcIsCausal">A hint that srcMask is the causal mask.</param>
    /// <param name="tgtIsCausal">A hint that tgtMask is the causal mask.</param>
    /// <param name="memoryIsCausal">A hint that memoryMask is the causal mask.</param>
    public Tensor Forward(Tensor src, Tensor tgt, Tensor? srcMask = null, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? srcKeyPaddingMask = null, Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null,
        bool srcIsCausal = false, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        int batchDim = BatchFirst ? 0 : 1;
        if (src.Rank != tgt.Rank || (src.Rank == 3 && src.Size(batchDim) != tgt.Size(batchDim)))
            throw new ShapeException($"Transformer: src and tgt must have the same batch size, got {src.Shape} and {tgt.Shape}.");
        if (src.Size(-1) != DModel || tgt.Size(-1) != DModel)
            throw new ShapeException($"Transformer: the feature number of src and tgt must equal dModel {DModel}, got {src.Shape} and {tgt.Shape}.");
        var memory = Encoder.Call(src, srcMask, srcKeyPaddingMask, srcIsCausal);
        return Decoder.Call(tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal);
    }
}
