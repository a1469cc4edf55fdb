namespace Nabla.NN;

/// <summary>
/// The course's sinusoidal positional encoding (d2l §10.6.3, Vaswani et al. 2017 §3.5): adds the fixed table
/// P[t, 2j] = sin(t / 10000^(2j/d)), P[t, 2j+1] = cos(t / 10000^(2j/d)) to the input, then dropout.
/// The table is a non-persistent buffer (d2l keeps it outside the state dict too).
/// Shape: [N, T, d] (T ≤ maxLen) → [N, T, d].
/// </summary>
public sealed class PositionalEncoding : Module<Tensor, Tensor>
{
    /// <summary>Dropout after the addition.</summary>
    public Dropout Dropout { get; }

    /// <summary>The table [1, maxLen, numHiddens].</summary>
    [Buffer(Persistent = false)] public Tensor P { get; private set; }

    /// <summary>Features per position, d.</summary>
    public int NumHiddens { get; }

    /// <summary>Longest sequence the table covers.</summary>
    public int MaxLen { get; }

    /// <summary>Builds the table.</summary>
    /// <param name="numHiddens">Features per position, d.</param>
    /// <param name="dropout">Dropout probability after the addition.</param>
    /// <param name="maxLen">Longest sequence.</param>
    /// <param name="dtype">Floating-point type of the table.</param>
    /// <param name="generator">Random source of the dropout masks; the default generator when null.</param>
    public PositionalEncoding(int numHiddens, double dropout = 0, int maxLen = 1000, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (numHiddens <= 0 || maxLen <= 0)
            throw new ArgumentException($"PositionalEncoding: numHiddens and maxLen must be positive, got {numHiddens} and {maxLen}.");
        Dropout = new Dropout(dropout, generator);
        NumHiddens = numHiddens;
        MaxLen = maxLen;
        // X[t, j] = t / 10000^(2j/d), computed in float32 as the course does, so the tables agree to the last bit.
        var positions = Tensor.Arange(0, maxLen, 1, DType.Float32).Reshape(-1, 1);
        var x = positions / Tensor.Pow(10000, Tensor.Arange(0, numHiddens, 2, DType.Float32) / numHiddens);
        var table = Tensor.Zeros([1, maxLen, numHiddens]);
        int odd = numHiddens / 2;
        table[.., .., Slice(0)] = x.Sin();
        table[.., .., Slice(1)] = x[.., ..odd].Cos();
        P = table.To(dtype);
    }

    static TensorIndex Slice(int start) => TensorIndex.Slice(start, null, 2);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != 3 || input.Size(2) != NumHiddens || input.Size(1) > MaxLen)
            throw new ShapeException($"PositionalEncoding: expects input [N, T, {NumHiddens}] with T ≤ {MaxLen}, got {input.Shape}.");
        return Dropout.Call(input + P[.., ..input.Size(1)]);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"num_hiddens={NumHiddens}, max_len={MaxLen}";
}
