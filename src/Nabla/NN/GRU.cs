namespace Nabla.NN;

/// <summary>
/// Multi-layer gated recurrent unit (<c>nn.GRU</c>), gates r, z, n as in <see cref="Functional.GRUCell"/>.
/// Parameters and initialisation as PyTorch's (see <see cref="RNNBase{TState}"/>).
/// Shape: input [T, N, I] ([N, T, I] with batchFirst, or unbatched [T, I]), optional h0 [L·D, N, H]
/// → (output [T, N, D·H], h_n [L·D, N, H]).
/// </summary>
public sealed class GRU : RNNBase<Tensor>
{
    /// <summary>Creates the layers, initialised by <see cref="RNNBase{TState}.ResetParameters"/>.</summary>
    /// <param name="inputSize">Features of the input x.</param>
    /// <param name="hiddenSize">Features of the hidden state h.</param>
    /// <param name="numLayers">Number of stacked layers.</param>
    /// <param name="bias">Whether to learn b_ih and b_hh.</param>
    /// <param name="batchFirst">Input and output are [N, T, *].</param>
    /// <param name="dropout">Dropout on the outputs of every layer but the last, in training mode.</param>
    /// <param name="bidirectional">Also run each layer backwards in time.</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    /// <param name="generator">Random source of the dropout masks; the default generator when null.</param>
    public GRU(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, DType dtype = DType.Float32, Generator? generator = null)
        : base(RecurrentMode.GRU, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, dtype, generator)
    {
    }

    /// <summary>Runs the sequence from a zero state.</summary>
    public override (Tensor Output, Tensor State) Forward(Tensor input) => Forward(input, null);

    /// <summary>Runs the sequence from <paramref name="h0"/> [L·D, N, H] (zeros when null).</summary>
    public (Tensor Output, Tensor State) Forward(Tensor input, Tensor? h0)
    {
        var (output, h, _) = Run(input, h0, null);
        return (output, h);
    }

    /// <summary><see cref="Forward(Tensor, Tensor?)"/> with the module's hooks (PyTorch's <c>gru(x, h0)</c>).</summary>
    public (Tensor Output, Tensor State) Call(Tensor input, Tensor? h0) => CallWithHooks(input, x => Forward(x, h0));
}
