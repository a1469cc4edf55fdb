namespace Nabla.NN;

/// <summary>
/// Long short-term memory cell (<c>nn.LSTMCell</c>), gates i, f, g, o as in <see cref="Functional.LSTMCell"/>.
/// Shape: input [N, I] (or [I]), optional (hx, cx) each [N, H] (or [H]) → (h′, c′) each [N, H] (or [H]).
/// </summary>
public sealed class LSTMCell : RNNCellBase<(Tensor H, Tensor C)>
{
    /// <summary>Creates the cell, initialised by <see cref="RNNCellBase{TState}.ResetParameters"/>.</summary>
    /// <param name="inputSize">Features of the input x.</param>
    /// <param name="hiddenSize">Features of the hidden and cell states.</param>
    /// <param name="bias">Whether to learn b_ih and b_hh.</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    public LSTMCell(int inputSize, int hiddenSize, bool bias = true, DType dtype = DType.Float32)
        : base(4, inputSize, hiddenSize, bias, dtype)
    {
    }

    /// <summary>One step from zero states.</summary>
    public override (Tensor H, Tensor C) Forward(Tensor input) => Forward(input, null);

    /// <summary>One step from <paramref name="state"/> = (hx, cx) (zeros when null).</summary>
    public (Tensor H, Tensor C) Forward(Tensor input, (Tensor H, Tensor C)? state)
    {
        var (x, h, batched) = Prepare(input, state?.H, "hx");
        var (_, c, _) = Prepare(input, state?.C, "cx");
        var (hNext, cNext) = Functional.LSTMCell(x, (h, c), WeightIh, WeightHh, BiasIh, BiasHh);
        return batched ? (hNext, cNext) : (hNext.Squeeze(0), cNext.Squeeze(0));
    }

    /// <summary><see cref="Forward(Tensor, ValueTuple{Tensor, Tensor}?)"/> with the module's hooks.</summary>
    public (Tensor H, Tensor C) Call(Tensor input, (Tensor H, Tensor C)? state) => CallWithHooks(input, x => Forward(x, state));
}
