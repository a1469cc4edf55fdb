namespace Nabla.NN;

/// <summary>
/// Multi-layer long short-term memory (<c>nn.LSTM</c>), gates i, f, g, o as in <see cref="Functional.LSTMCell"/>.
/// Parameters and initialisation as PyTorch's (see <see cref="RNNBase{TState}"/>).
/// Shape: input [T, N, I] ([N, T, I] with batchFirst, or unbatched [T, I]), optional (h0, c0) each
/// [L·D, N, H] → (output [T, N, D·H], (h_n, c_n) each [L·D, N, H]).
/// </summary>
public sealed class LSTM : RNNBase<(Tensor H, Tensor C)>
{
    /// <summary>Creates the layers, initialised by <see cref="RNNBase{TState}.ResetParameters"/>.</summary>
    /// <param name="inputSize">Features of the input x.</param>
    /// <param name="hiddenSize">Features of the hidden state h and the cell state c.</param>
    /// <param name="numLayers">Number of stacked layers.</param>
    /// <param name="bias">Whether to learn b_ih and b_hh.</param>
    /// <param name="batchFirst">Input and output are [N, T, *].</param>
    /// <param name="dropout">Dropout on the outputs of every layer but the last, in training mode.</param>
    /// <param name="bidirectional">Also run each layer backwards in time.</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    /// <param name="generator">Random source of the dropout masks; the default generator when null.</param>
    public LSTM(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, DType dtype = DType.Float32, Generator? generator = null)
        : base(RecurrentMode.LSTM, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, dtype, generator)
    {
    }

    /// <summary>Runs the sequence from zero states.</summary>
    public override (Tensor Output, (Tensor H, Tensor C) State) Forward(Tensor input) => Forward(input, null);

    /// <summary>Runs the sequence from <paramref name="state"/> = (h0, c0), each [L·D, N, H] (zeros when null).</summary>
    public (Tensor Output, (Tensor H, Tensor C) State) Forward(Tensor input, (Tensor H, Tensor C)? state)
    {
        var (output, h, c) = Run(input, state?.H, state?.C);
        return (output, (h, c!));
    }

    /// <summary><see cref="Forward(Tensor, ValueTuple{Tensor, Tensor}?)"/> with the module's hooks (PyTorch's <c>lstm(x, (h0, c0))</c>).</summary>
    public (Tensor Output, (Tensor H, Tensor C) State) Call(Tensor input, (Tensor H, Tensor C)? state) => CallWithHooks(input, x => Forward(x, state));
}
