namespace Nabla.NN;

/// <summary>
/// Multi-layer Elman RNN (<c>nn.RNN</c>): hₜ = tanh(xₜ W_ihᵀ + b_ih + hₜ₋₁ W_hhᵀ + b_hh), or relu
/// with <c>nonlinearity: "relu"</c>. Parameters and initialisation as PyTorch's (see <see cref="RNNBase{TState}"/>).
/// Shape: input [T, N, I] ([N, T, I] with batchFirst, or unbatched [T, I]), optional h0 [L·D, N, H]
/// → (output [T, N, D·H], h_n [L·D, N, H]).
/// </summary>
public sealed class RNN : RNNBase<Tensor>
{
    /// <summary>"tanh" or "relu".</summary>
    public string Nonlinearity { get; }

    /// <summary>Creates the layers, initialised by <see cref="RNNBase{TState}.ResetParameters"/>.</summary>
    /// <param name="inputSize">Features of the input x.</param>
    /// <param name="hiddenSize">Features of the hidden state h.</param>
    /// <param name="numLayers">Number of stacked layers.</param>
    /// <param name="nonlinearity">"tanh" or "relu".</param>
    /// <param name="bias">Whether to learn b_ih and b_hh.</param>
    /// <param name="batchFirst">Input and output are [N, T, *].</param>
    /// <param name="dropout">Dropout on the outputs of every layer but the last, in training mode.</param>
    /// <param name="bidirectional">Also run each layer backwards in time.</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    /// <param name="generator">Random source of the dropout masks; the default generator when null.</param>
    public RNN(int inputSize, int hiddenSize, int numLayers = 1, string nonlinearity = "tanh", bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, DType dtype = DType.Float32, Generator? generator = null)
        : base(ModeOf(nonlinearity), inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, dtype, generator)
    {
        Nonlinearity = nonlinearity;
    }

    internal static RecurrentMode ModeOf(string nonlinearity) => nonlinearity switch
    {
        "tanh" => RecurrentMode.RNNTanh,
        "relu" => RecurrentMode.RNNRelu,
        _ => throw new ArgumentException($"RNN: nonlinearity must be \"tanh\" or \"relu\", got \"{nonlinearity}\".", nameof(nonlinearity)),
    };

    /// <summary>Runs the sequence from a zero state.</summary>
    public override (Tensor Output, Tensor State) Forward(Tensor input) => Forward(input, null);

    /// <summary>Runs the sequence from <paramref name="h0"/> [L·D, N, H] (zeros when null).</summary>
    public (Tensor Output, Tensor State) Forward(Tensor input, Tensor? h0)
    {
        var (output, h, _) = Run(input, h0, null);
        return (output, h);
    }

    /// <summary><see cref="Forward(Tensor, Tensor?)"/> with the module's hooks (PyTorch's <c>rnn(x, h0)</c>).</summary>
    public (Tensor Output, Tensor State) Call(Tensor input, Tensor? h0) => CallWithHooks(input, x => Forward(x, h0));

    /// <inheritdoc/>
    protected override string ExtraRepr() => base.ExtraRepr() + (Nonlinearity != "tanh" ? $", nonlinearity={Nonlinearity}" : "");
}
