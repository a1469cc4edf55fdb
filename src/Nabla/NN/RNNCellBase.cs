namespace Nabla.NN;

/// <summary>
/// What <see cref="RNNCell"/>, <see cref="GRUCell"/> and <see cref="LSTMCell"/> share (<c>nn.RNNCellBase</c>):
/// <c>weight_ih</c> [G·H, I], <c>weight_hh</c> [G·H, H], <c>bias_ih</c> and <c>bias_hh</c> [G·H]
/// (G = 1, 3, 4 gates), all initialised ~ U(−1/√H, 1/√H) as in PyTorch.
/// </summary>
/// <typeparam name="TState">The recurrent state: a tensor h, or (h, c) for LSTM.</typeparam>
public abstract class RNNCellBase<TState> : Module<Tensor, TState>
{
    /// <summary>Number of features of the input x.</summary>
    public int InputSize { get; }

    /// <summary>Number of features of the hidden state h.</summary>
    public int HiddenSize { get; }

    /// <summary>Input-to-hidden weights W_ih, shape [G·H, I].</summary>
    public Parameter WeightIh { get; private set; }

    /// <summary>Hidden-to-hidden weights W_hh, shape [G·H, H].</summary>
    public Parameter WeightHh { get; private set; }

    /// <summary>Input-to-hidden bias b_ih [G·H]; null when built with <c>bias: false</c>.</summary>
    public Parameter? BiasIh { get; private set; }

    /// <summary>Hidden-to-hidden bias b_hh [G·H]; null when built with <c>bias: false</c>.</summary>
    public Parameter? BiasHh { get; private set; }

    private protected RNNCellBase(int gates, int inputSize, int hiddenSize, bool bias, DType dtype)
    {
        if (inputSize < 0 || hiddenSize <= 0)
            throw new ArgumentException($"{GetType().Name}: inputSize must be non-negative and hiddenSize positive, got inputSize = {inputSize}, hiddenSize = {hiddenSize}.");
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        WeightIh = new Parameter(Tensor.Empty([gates * hiddenSize, inputSize], dtype));
        WeightHh = new Parameter(Tensor.Empty([gates * hiddenSize, hiddenSize], dtype));
        BiasIh = bias ? new Parameter(Tensor.Empty([gates * hiddenSize], dtype)) : null;
        BiasHh = bias ? new Parameter(Tensor.Empty([gates * hiddenSize], dtype)) : null;
        ResetParameters();
    }

    /// <summary>PyTorch's default: every weight and bias ~ U(−1/√H, 1/√H).</summary>
    public void ResetParameters()
    {
        double bound = 1 / Math.Sqrt(HiddenSize);
        foreach (var p in Parameters(recurse: false)) Init.Uniform_(p, -bound, bound);
    }

    /// <summary>
    /// Checks an input [N, I] or unbatched [I] and a state of the matching shape; returns the batched
    /// input (and whether it was batched) and a zero state when <paramref name="state"/> is null.
    /// </summary>
    private protected (Tensor Input, Tensor State, bool Batched) Prepare(Tensor input, Tensor? state, string name)
    {
        string op = GetType().Name;
        if (input.Rank is not (1 or 2) || input.Size(-1) != InputSize)
            throw new ShapeException($"{op}: input must be [N, {InputSize}] or unbatched [{InputSize}], got {input.Shape}.");
        bool batched = input.Rank == 2;
        var x = batched ? input : input.Unsqueeze(0);
        if (state == null) return (x, Tensor.Zeros([x.Size(0), HiddenSize], x.DType), batched);
        if (state.Rank != input.Rank || state.Size(-1) != HiddenSize || (batched && state.Size(0) != input.Size(0)))
            throw new ShapeException($"{op}: {name} has shape {state.Shape}, expected [{(batched ? input.Size(0) + ", " : "")}{HiddenSize}] for input {input.Shape}.");
        return (x, batched ? state : state.Unsqueeze(0), batched);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{InputSize}, {HiddenSize}" + (BiasIh == null ? ", bias=False" : "");
}
