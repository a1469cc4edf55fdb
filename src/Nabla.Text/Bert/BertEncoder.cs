using Nabla.NN;

namespace Nabla.Text.Bert;

/// <summary>
/// d2l's <c>BERTEncoder</c> (§15.8): token + segment + learned position embeddings, summed, then
/// <see cref="BertConfig.NumBlks"/> Transformer encoder blocks (Nabla's
/// <see cref="TransformerEncoderLayer"/>, batch-first) that attend only to the first valid-length
/// positions of each sequence. For BERT-family checkpoints the config adds a LayerNorm and dropout
/// on the embeddings, GELU, pre-norm blocks (then a final LayerNorm) and BERT's epsilon.
/// <para>
/// Parameter names, and their Hugging Face <c>BertModel</c> counterparts:
/// <c>token_embedding.weight</c> [V, H] = <c>embeddings.word_embeddings.weight</c>;
/// <c>segment_embedding.weight</c> [2, H] = <c>embeddings.token_type_embeddings.weight</c>;
/// <c>pos_embedding</c> [1, max_len, H] = <c>embeddings.position_embeddings.weight</c> (unsqueezed);
/// <c>embedding_norm.weight/bias</c> = <c>embeddings.LayerNorm.weight/bias</c>;
/// <c>blks.{i}.…</c> = <c>encoder.layer.{i}.…</c> with PyTorch's <c>TransformerEncoderLayer</c> names
/// (<c>self_attn.in_proj_weight</c> is query, key and value stacked; <c>self_attn.out_proj</c> =
/// <c>attention.output.dense</c>, <c>norm1</c> = <c>attention.output.LayerNorm</c>, <c>linear1</c> =
/// <c>intermediate.dense</c>, <c>linear2</c> = <c>output.dense</c>, <c>norm2</c> = <c>output.LayerNorm</c>);
/// <c>final_norm</c> only for pre-norm models.
/// </para>
/// Shape: tokens [B, S], segments [B, S] (int64, S ≤ max_len), valid lengths [B] → [B, S, H].
/// </summary>
public sealed class BertEncoder : Module
{
    /// <summary>The model's shape.</summary>
    public BertConfig Config { get; }

    /// <summary>Token embedding [V, H].</summary>
    public Embedding TokenEmbedding { get; }

    /// <summary>Segment embedding [2, H].</summary>
    public Embedding SegmentEmbedding { get; }

    /// <summary>The learned positional embedding [1, max_len, H], initialised N(0, 1) as d2l's <c>torch.randn</c>.</summary>
    public Parameter PosEmbedding { get; }

    /// <summary>LayerNorm on the summed embeddings (BERT); null in d2l's model.</summary>
    public LayerNorm? EmbeddingNorm { get; }

    /// <summary>Dropout on the normalised embeddings (with <see cref="EmbeddingNorm"/> only).</summary>
    public Dropout? EmbeddingDropout { get; }

    /// <summary>The Transformer encoder blocks.</summary>
    public ModuleList Blks { get; }

    /// <summary>LayerNorm after the last block of a pre-norm model; null for post-norm.</summary>
    public LayerNorm? FinalNorm { get; }

    /// <summary>d2l's constructor: <c>BERTEncoder(vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout, max_len)</c>.</summary>
    public BertEncoder(int vocabSize, int numHiddens, int ffnNumHiddens, int numHeads, int numBlks, double dropout, int maxLen = 1000)
        : this(new BertConfig { VocabSize = vocabSize, NumHiddens = numHiddens, FfnNumHiddens = ffnNumHiddens, NumHeads = numHeads, NumBlks = numBlks, Dropout = dropout, MaxLen = maxLen })
    {
    }

    /// <summary>An encoder of the shape <paramref name="config"/> describes.</summary>
    public BertEncoder(BertConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        TokenEmbedding = new Embedding(config.VocabSize, config.NumHiddens);
        SegmentEmbedding = new Embedding(config.NumSegments, config.NumHiddens);
        PosEmbedding = new Parameter(Tensor.Randn([1, config.MaxLen, config.NumHiddens]));
        if (config.EmbeddingLayerNorm)
        {
            EmbeddingNorm = new LayerNorm(config.NumHiddens, config.LayerNormEps);
            EmbeddingDropout = new Dropout(config.Dropout);
        }
        Blks = [];
        for (int i = 0; i < config.NumBlks; i++)
        {
            Blks.Append(new TransformerEncoderLayer(config.NumHiddens, config.NumHeads, config.FfnNumHiddens, config.Dropout,
                config.Activation, config.LayerNormEps, batchFirst: true, normFirst: config.NormFirst));
        }
        if (config.NormFirst) FinalNorm = new LayerNorm(config.NumHiddens, config.LayerNormEps);
    }

    /// <summary>The encoded sequences.</summary>
    /// <param name="tokens">Token ids [B, S] (int64).</param>
    /// <param name="segments">Segment ids [B, S] (int64, 0 or 1).</param>
    /// <param name="validLens">Valid lengths [B] (any integer or float dtype); null: every position is valid.</param>
    public Tensor Forward(Tensor tokens, Tensor segments, Tensor? validLens = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(segments);
        if (tokens.Rank != 2) throw new ShapeException($"BertEncoder: tokens must be [batch, steps], got {tokens.Shape}.");
        if (!segments.Shape.Equals(tokens.Shape)) throw new ShapeException($"BertEncoder: segments {segments.Shape} must have the shape of tokens {tokens.Shape}.");
        int batch = tokens.Size(0), steps = tokens.Size(1);
        if (steps > Config.MaxLen) throw new ShapeException($"BertEncoder: {steps} positions exceed max_len {Config.MaxLen}.");
        Tensor? paddingMask = null;
        if (validLens is not null)
        {
            if (validLens.Rank != 1 || validLens.Size(0) != batch) throw new ShapeException($"BertEncoder: validLens must be [batch] = [{batch}], got {validLens.Shape}.");
            paddingMask = PaddingMask(validLens, steps);
        }
        Tensor x = TokenEmbedding.Forward(tokens) + SegmentEmbedding.Forward(segments);
        x = x + PosEmbedding[.., ..steps, ..];
        if (EmbeddingNorm is not null) x = EmbeddingDropout!.Forward(EmbeddingNorm.Forward(x));
        foreach (Module block in Blks)
            x = ((TransformerEncoderLayer)block).Call(x, null, paddingMask);
        return FinalNorm is null ? x : FinalNorm.Forward(x);
    }

    /// <summary>PyTorch's <c>src_key_padding_mask</c> of valid lengths: [B, S] bool, true at positions ≥ the row's valid length.</summary>
    public static Tensor PaddingMask(Tensor validLens, int steps)
    {
        ArgumentNullException.ThrowIfNull(validLens);
        return Tensor.Arange(steps).To(DType.Float64).Unsqueeze(0).Ge(validLens.To(DType.Float64).Unsqueeze(1));
    }
}
