namespace Nabla.Text.Bert;

/// <summary>
/// The shape of a <see cref="BertModel"/>: d2l's arguments (§15.8: vocabulary size, hidden size,
/// FFN size, heads, blocks, dropout, maximum length) and what a published BERT-family checkpoint
/// also fixes (activation, pre-/post-norm, LayerNorm epsilon, a LayerNorm after the embeddings,
/// segment vocabulary). The defaults are d2l's small BERT of §15.10 with PyTorch's
/// <c>TransformerEncoderLayer</c> defaults.
/// </summary>
public sealed record BertConfig
{
    /// <summary>Tokens in the vocabulary (V).</summary>
    public required int VocabSize { get; init; }

    /// <summary>Width of every token vector (H, <c>num_hiddens</c>; BERT-base: 768).</summary>
    public int NumHiddens { get; init; } = 128;

    /// <summary>Width of the position-wise FFN (<c>ffn_num_hiddens</c>; BERT-base: 3072).</summary>
    public int FfnNumHiddens { get; init; } = 256;

    /// <summary>Attention heads per block (<c>num_heads</c>).</summary>
    public int NumHeads { get; init; } = 2;

    /// <summary>Transformer encoder blocks (<c>num_blks</c>).</summary>
    public int NumBlks { get; init; } = 2;

    /// <summary>Dropout in the blocks (and after the embeddings when <see cref="EmbeddingLayerNorm"/>).</summary>
    public double Dropout { get; init; } = 0.2;

    /// <summary>Positions of the learned positional embedding (<c>max_len</c>; d2l's default 1000, its data 64; BERT: 512).</summary>
    public int MaxLen { get; init; } = 1000;

    /// <summary>The FFN's activation: "relu" (d2l) or "gelu" (BERT).</summary>
    public string Activation { get; init; } = "relu";

    /// <summary>LayerNorm before each sub-layer (pre-norm) instead of after the residual sum (post-norm: d2l, BERT).</summary>
    public bool NormFirst { get; init; }

    /// <summary>Epsilon of every LayerNorm (PyTorch: 1e-5; BERT: 1e-12).</summary>
    public double LayerNormEps { get; init; } = 1e-5;

    /// <summary>A LayerNorm and dropout on the summed embeddings, as BERT has and d2l has not.</summary>
    public bool EmbeddingLayerNorm { get; init; }

    /// <summary>Segment ids (<c>type_vocab_size</c>): 2.</summary>
    public int NumSegments { get; init; } = 2;

    /// <summary>Throws when a size is out of range or the activation unknown.</summary>
    public void Validate()
    {
        static void Positive(int value, string name)
        {
            if (value < 1) throw new ArgumentOutOfRangeException(name, $"BertConfig: {name} must be at least 1, got {value}.");
        }
        Positive(VocabSize, nameof(VocabSize));
        Positive(NumHiddens, nameof(NumHiddens));
        Positive(FfnNumHiddens, nameof(FfnNumHiddens));
        Positive(NumHeads, nameof(NumHeads));
        Positive(MaxLen, nameof(MaxLen));
        Positive(NumSegments, nameof(NumSegments));
        if (NumBlks < 0) throw new ArgumentOutOfRangeException(nameof(NumBlks), $"BertConfig: NumBlks must be 0 or more, got {NumBlks}.");
        if (NumHiddens % NumHeads != 0) throw new ArgumentException($"BertConfig: NumHiddens {NumHiddens} is not divisible by NumHeads {NumHeads}.");
        if (Dropout is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(Dropout), $"BertConfig: Dropout must be in [0, 1], got {Dropout}.");
        if (Activation is not ("relu" or "gelu")) throw new ArgumentException($"BertConfig: Activation must be relu or gelu, got '{Activation}'.");
    }
}
