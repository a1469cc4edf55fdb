namespace Nabla.NN;

/// <summary>
/// A lookup table of learned vectors (<c>nn.Embedding</c>): index i gives row i of the weight.
/// The row <see cref="PaddingIdx"/>, if set, starts at zero and is never updated (no gradient).
/// Shape: Int64 [*] → [*, embeddingDim].
/// </summary>
public sealed class Embedding : Module<Tensor, Tensor>
{
    /// <summary>Number of rows (the vocabulary size).</summary>
    public int NumEmbeddings { get; }

    /// <summary>Size of each vector.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The padding row (made non-negative), or null.</summary>
    public int? PaddingIdx { get; }

    /// <summary>The table [numEmbeddings, embeddingDim], initialised N(0, 1).</summary>
    public Parameter Weight { get; private set; }

    /// <summary>Creates the layer.</summary>
    /// <param name="numEmbeddings">Number of rows.</param>
    /// <param name="embeddingDim">Size of each vector.</param>
    /// <param name="paddingIdx">Row that stays zero and gets no gradient (negative counts from the end).</param>
    /// <param name="dtype">Floating-point type of the table.</param>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, DType dtype = DType.Float32)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0)
            throw new ArgumentException($"Embedding: numEmbeddings and embeddingDim must be positive, got {numEmbeddings} and {embeddingDim}.");
        if (paddingIdx is int p && (p >= numEmbeddings || p < -numEmbeddings))
            throw new ArgumentException($"Embedding: paddingIdx {p} must be within the {numEmbeddings} embeddings.", nameof(paddingIdx));
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        PaddingIdx = paddingIdx is int q && q < 0 ? q + numEmbeddings : paddingIdx;
        Weight = new Parameter(Tensor.Empty([numEmbeddings, embeddingDim], dtype));
        ResetParameters();
    }

    /// <summary>
    /// An embedding whose table is <paramref name="embeddings"/> (<c>from_pretrained</c>), frozen
    /// unless <paramref name="freeze"/> is false. The table is copied.
    /// </summary>
    public static Embedding FromPretrained(Tensor embeddings, bool freeze = true, int? paddingIdx = null)
    {
        if (embeddings.Rank != 2) throw new ShapeException($"Embedding.FromPretrained: embeddings must be 2-D, got shape {embeddings.Shape}.");
        var layer = new Embedding(embeddings.Size(0), embeddings.Size(1), paddingIdx, embeddings.DType);
        using (Autograd.NoGrad()) layer.Weight.Copy_(embeddings);
        layer.Weight.RequiresGrad = !freeze;
        return layer;
    }

    /// <summary>PyTorch's default: N(0, 1), with the padding row zeroed.</summary>
    public void ResetParameters()
    {
        Init.Normal_(Weight);
        if (PaddingIdx is int p)
            using (Autograd.NoGrad()) Weight[p].Zero_();
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Embedding(input, Weight, PaddingIdx);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}" + (PaddingIdx is int p ? $", padding_idx={p}" : "");
}
