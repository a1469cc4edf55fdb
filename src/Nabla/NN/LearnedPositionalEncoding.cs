namespace Nabla.NN;

/// <summary>
/// A learned positional encoding, as the course's BERT (d2l §15.8.3): a parameter <c>pos_embedding</c>
/// [1, maxLen, numHiddens], initialised N(0, 1), whose first T rows are added to the input, then dropout.
/// Shape: [N, T, d] (T ≤ maxLen) → [N, T, d].
/// </summary>
public sealed class LearnedPositionalEncoding : Module<Tensor, Tensor>
{
    /// <summary>The learned table [1, maxLen, numHiddens].</summary>
    public Parameter PosEmbedding { get; private set; }

    /// <summary>Dropout after the addition.</summary>
    public Dropout Dropout { get; }

    /// <summary>Features per position, d.</summary>
    public int NumHiddens { get; }

    /// <summary>Longest sequence the table covers.</summary>
    public int MaxLen { get; }

    /// <summary>Creates the table, initialised by <see cref="ResetParameters"/>.</summary>
    /// <param name="numHiddens">Features per position, d.</param>
    /// <param name="maxLen">Longest sequence.</param>
    /// <param name="dropout">Dropout probability after the addition.</param>
    /// <param name="dtype">Floating-point type of the table.</param>
    /// <param name="generator">Random source of the dropout masks; the default generator when null.</param>
    public LearnedPositionalEncoding(int numHiddens, int maxLen = 1000, double dropout = 0, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (numHiddens <= 0 || maxLen <= 0)
            throw new ArgumentException($"LearnedPositionalEncoding: numHiddens and maxLen must be positive, got {numHiddens} and {maxLen}.");
        PosEmbedding = new Parameter(Tensor.Empty([1, maxLen, numHiddens], dtype));
        Dropout = new Dropout(dropout, generator);
        NumHiddens = numHiddens;
        MaxLen = maxLen;
        ResetParameters();
    }

    /// <summary>N(0, 1), as d2l's <c>torch.randn</c>.</summary>
    public void ResetParameters() => Init.Normal_(PosEmbedding);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != 3 || input.Size(2) != NumHiddens || input.Size(1) > MaxLen)
            throw new ShapeException($"LearnedPositionalEncoding: expects input [N, T, {NumHiddens}] with T ≤ {MaxLen}, got {input.Shape}.");
        return Dropout.Call(input + PosEmbedding[.., ..input.Size(1)]);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"num_hiddens={NumHiddens}, max_len={MaxLen}";
}
