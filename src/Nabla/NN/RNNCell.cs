namespace Nabla.NN;

/// <summary>
/// Elman RNN cell (<c>nn.RNNCell</c>): h′ = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), or relu.
/// Shape: input [N, I] (or [I]), optional hx [N, H] (or [H]) → h′ [N, H] (or [H]).
/// </summary>
public sealed class RNNCell : RNNCellBase<Tensor>
{
    readonly RecurrentMode mode;

    /// <summary>"tanh" or "relu".</summary>
    public string Nonlinearity { get; }

    /// <summary>Creates the cell, initialised by <see cref="RNNCellBase{TState}.ResetParameters"/>.</summary>
    /// <param name="inputSize">Features of the input x.</param>
    /// <param name="hiddenSize">Features of the hidden state h.</param>
    /// <param name="bias">Whether to learn b_ih and b_hh.</param>
    /// <param name="nonlinearity">"tanh" or "relu".</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    public RNNCell(int inputSize, int hiddenSize, bool bias = true, string nonlinearity = "tanh", DType dtype = DType.Float32)
        : base(1, inputSize, hiddenSize, bias, dtype)
    {
        mode = RNN.ModeOf(nonlinearity);
        Nonlinearity = nonlinearity;
    }

    /// <summary>One step from a zero state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>One step from <paramref name="hx"/> (zeros when null).</summary>
    public Tensor Forward(Tensor input, Tensor? hx)
    {
        var (x, h, batched) = Prepare(input, hx, "hx");
        var next = mode == RecurrentMode.RNNTanh
            ? Functional.RNNTanhCell(x, h, WeightIh, WeightHh, BiasIh, BiasHh)
            : Functional.RNNReluCell(x, h, WeightIh, WeightHh, BiasIh, BiasHh);
        return batched ? next : next.Squeeze(0);
    }

    /// <summary><see cref="Forward(Tensor, Tensor?)"/> with the module's hooks.</summary>
    public Tensor Call(Tensor input, Tensor? hx) => CallWithHooks(input, x => Forward(x, hx));

    /// <inheritdoc/>
    protected override string ExtraRepr() => base.ExtraRepr() + (Nonlinearity != "tanh" ? $", nonlinearity={Nonlinearity}" : "");
}
