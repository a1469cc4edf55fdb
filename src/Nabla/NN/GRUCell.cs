namespace Nabla.NN;

/// <summary>
/// Gated recurrent unit cell (<c>nn.GRUCell</c>), gates r, z, n as in <see cref="Functional.GRUCell"/>.
/// Shape: input [N, I] (or [I]), optional hx [N, H] (or [H]) → h′ [N, H] (or [H]).
/// </summary>
public sealed class GRUCell : RNNCellBase<Tensor>
{
    /// <summary>Creates the cell, initialised by <see cref="RNNCellBase{TState}.ResetParameters"/>.</summary>
    /// <param name="inputSize">Features of the input x.</param>
    /// <param name="hiddenSize">Features of the hidden state h.</param>
    /// <param name="bias">Whether to learn b_ih and b_hh.</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    public GRUCell(int inputSize, int hiddenSize, bool bias = true, DType dtype = DType.Float32)
        : base(3, inputSize, hiddenSize, bias, dtype)
    {
    }

    /// <summary>One step from a zero state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>One step from <paramref name="hx"/> (zeros when null).</summary>
    public Tensor Forward(Tensor input, Tensor? hx)
    {
        var (x, h, batched) = Prepare(input, hx, "hx");
        var next = Functional.GRUCell(x, h, WeightIh, WeightHh, BiasIh, BiasHh);
        return batched ? next : next.Squeeze(0);
    }

    /// <summary><see cref="Forward(Tensor, Tensor?)"/> with the module's hooks.</summary>
    public Tensor Call(Tensor input, Tensor? hx) => CallWithHooks(input, x => Forward(x, hx));
}
