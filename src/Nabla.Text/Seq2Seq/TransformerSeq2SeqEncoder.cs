using Nabla.NN;

namespace Nabla.Text.Seq2Seq;

/// <summary>
/// The course's Transformer encoder (d2l §10.7.4) built from Nabla's PyTorch-style layers: token embeddings scaled
/// by √d, the sinusoidal <see cref="PositionalEncoding"/> with dropout, then <c>numLayers</c> post-norm
/// <see cref="TransformerEncoderLayer"/>s (batch first, ReLU) whose self-attention ignores the source padding.
/// Shape: x Int64 [N, S], validLens [N] → outputs [N, S, d] (batch first, no recurrent state).
/// </summary>
public sealed class TransformerSeq2SeqEncoder : Encoder
{
    /// <summary>Token embeddings [V, d].</summary>
    public Embedding Embedding { get; }

    /// <summary>The sinusoidal positions, added after scaling the embeddings by √d, and dropout.</summary>
    public PositionalEncoding PosEncoding { get; }

    /// <summary>The encoder blocks (d2l's <c>blks</c>).</summary>
    public ModuleList Blks { get; }

    /// <summary>d, the features of every position.</summary>
    public int NumHiddens { get; }

    /// <summary>Creates the encoder; every block is initialised independently.</summary>
    /// <param name="vocabSize">Source vocabulary size V.</param>
    /// <param name="numHiddens">d_model (d2l: 32).</param>
    /// <param name="ffnNumHiddens">Width of each block's feed-forward network (d2l: 64).</param>
    /// <param name="numHeads">Attention heads (d2l: 4).</param>
    /// <param name="numLayers">Blocks (d2l: 2).</param>
    /// <param name="dropout">Dropout everywhere (d2l: 0.1).</param>
    public TransformerSeq2SeqEncoder(int vocabSize, int numHiddens, int ffnNumHiddens, int numHeads, int numLayers, double dropout = 0)
    {
        NumHiddens = numHiddens;
        Embedding = new Embedding(vocabSize, numHiddens);
        PosEncoding = new PositionalEncoding(numHiddens, dropout);
        Blks = new ModuleList();
        for (int i = 0; i < numLayers; i++) Blks.Add(new TransformerEncoderLayer(numHiddens, numHeads, ffnNumHiddens, dropout, batchFirst: true));
    }

    /// <inheritdoc/>
    public override EncoderOutput Forward(Tensor x, Tensor? validLens = null)
    {
        if (x.Rank != 2) throw new ShapeException($"TransformerSeq2SeqEncoder: x must be [batch, steps] token indices, got {x.Shape}.");
        var padding = validLens is null ? null : PaddingMask(x.Size(1), validLens);
        var hidden = PosEncoding.Forward(Embedding.Forward(x) * Math.Sqrt(NumHiddens));
        foreach (var block in Blks) hidden = ((TransformerEncoderLayer)block).Forward(hidden, null, padding);
        return new EncoderOutput(hidden);
    }

    /// <summary>PyTorch's key padding mask from valid lengths: Bool [N, S], true at the positions t ≥ validLens[n].</summary>
    public static Tensor PaddingMask(int steps, Tensor validLens) =>
        Functional.SequenceMask(Tensor.Ones([validLens.Size(0), steps]), validLens).Eq(0);
}
