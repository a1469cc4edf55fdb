namespace Nabla.NN;

/// <summary>
/// What <see cref="RNN"/>, <see cref="GRU"/> and <see cref="LSTM"/> share (<c>nn.RNNBase</c>): the
/// stacked, optionally bidirectional layers, their parameters under PyTorch's names
/// (<c>weight_ih_l{k}</c> [G·H, I or D·H], <c>weight_hh_l{k}</c> [G·H, H], <c>bias_ih_l{k}</c>,
/// <c>bias_hh_l{k}</c> [G·H], with <c>_reverse</c> for the backward direction; G = 1, 3, 4 gates),
/// and the time loop. Between layers, dropout with probability <see cref="Dropout"/> is applied to
/// the outputs in training mode.
/// Shape: input [T, N, I] ([N, T, I] with batchFirst, or unbatched [T, I]); state [L·D, N, H]
/// (unbatched [L·D, H]) → output [T, N, D·H] ([N, T, D·H] with batchFirst, unbatched [T, D·H]) and
/// the final state [L·D, N, H]; D = 2 when bidirectional, else 1.
/// </summary>
/// <typeparam name="TState">The recurrent state: a tensor h, or (h, c) for LSTM.</typeparam>
public abstract class RNNBase<TState> : Module<Tensor, (Tensor Output, TState State)>
{
    readonly string[][] parameterNames; // [layer·D + direction] → weight_ih, weight_hh, bias_ih, bias_hh
    private protected readonly RecurrentMode Mode;

    /// <summary>Number of features of the input x.</summary>
    public int InputSize { get; }

    /// <summary>Number of features of the hidden state h.</summary>
    public int HiddenSize { get; }

    /// <summary>Number of stacked recurrent layers.</summary>
    public int NumLayers { get; }

    /// <summary>Whether the layers have the biases b_ih and b_hh.</summary>
    public bool Bias { get; }

    /// <summary>Whether input and output are [N, T, *] instead of [T, N, *] (the state is not affected).</summary>
    public bool BatchFirst { get; }

    /// <summary>Dropout probability on the outputs of each layer but the last, in training mode.</summary>
    public double Dropout { get; }

    /// <summary>Whether each layer also runs the sequence backwards and concatenates both outputs.</summary>
    public bool Bidirectional { get; }

    /// <summary>The random source of the dropout masks.</summary>
    public Generator Generator { get; }

    /// <summary>2 when <see cref="Bidirectional"/>, else 1.</summary>
    public int NumDirections => Bidirectional ? 2 : 1;

    private protected RNNBase(RecurrentMode mode, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst,
        double dropout, bool bidirectional, DType dtype, Generator? generator)
    {
        string op = GetType().Name;
        if (inputSize < 0 || hiddenSize <= 0) throw new ArgumentException($"{op}: inputSize must be non-negative and hiddenSize positive, got inputSize = {inputSize}, hiddenSize = {hiddenSize}.");
        if (numLayers <= 0) throw new ArgumentException($"{op}: numLayers must be positive, got {numLayers}.", nameof(numLayers));
        if (dropout is < 0 or > 1) throw new ArgumentException($"{op}: dropout must be in [0, 1], got {dropout}.", nameof(dropout));
        Mode = mode;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        Bias = bias;
        BatchFirst = batchFirst;
        Dropout = dropout;
        Bidirectional = bidirectional;
        Generator = generator ?? Generator.Default;
        int gateSize = GateCount(mode) * hiddenSize;
        parameterNames = new string[numLayers * NumDirections][];
        for (int layer = 0; layer < numLayers; layer++)
        {
            int layerInput = layer == 0 ? inputSize : hiddenSize * NumDirections;
            for (int direction = 0; direction < NumDirections; direction++)
            {
                string suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
                var names = bias
                    ? new[] { "weight_ih" + suffix, "weight_hh" + suffix, "bias_ih" + suffix, "bias_hh" + suffix }
                    : new[] { "weight_ih" + suffix, "weight_hh" + suffix };
                parameterNames[layer * NumDirections + direction] = names;
                RegisterParameter(names[0], new Parameter(Tensor.Empty([gateSize, layerInput], dtype)));
                RegisterParameter(names[1], new Parameter(Tensor.Empty([gateSize, hiddenSize], dtype)));
                if (bias)
                {
                    RegisterParameter(names[2], new Parameter(Tensor.Empty([gateSize], dtype)));
                    RegisterParameter(names[3], new Parameter(Tensor.Empty([gateSize], dtype)));
                }
            }
        }
        ResetParameters();
    }

    internal static int GateCount(RecurrentMode mode) => mode switch
    {
        RecurrentMode.GRU => 3,
        RecurrentMode.LSTM => 4,
        _ => 1,
    };

    /// <summary>
    /// The parameters of each layer and direction in PyTorch's order (<c>all_weights</c>):
    /// [layer·D + direction] → weight_ih, weight_hh, and bias_ih, bias_hh when <see cref="Bias"/>.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Parameter>> AllWeights =>
        [.. parameterNames.Select(names => (IReadOnlyList<Parameter>)[.. names.Select(n => GetParameter(n)!)])];

    /// <summary>PyTorch's default: every weight and bias ~ U(−1/√H, 1/√H).</summary>
    public void ResetParameters()
    {
        double bound = 1 / Math.Sqrt(HiddenSize);
        foreach (var p in Parameters(recurse: false)) Init.Uniform_(p, -bound, bound);
    }

    /// <summary>
    /// Runs all layers. <paramref name="h0"/> and <paramref name="c0"/> are [L·D, N, H] (batched) or
    /// null for zeros. Returns the output [T, N, D·H] in the caller's layout and h_n, c_n [L·D, N, H]
    /// (unbatched inputs drop the N dim everywhere).
    /// </summary>
    private protected (Tensor Output, Tensor H, Tensor? C) Run(Tensor input, Tensor? h0, Tensor? c0)
    {
        string op = GetType().Name;
        if (!input.DType.IsFloatingPoint()) throw new DTypeException($"{op}: input must be floating point, got {input.DType}.");
        bool batched = input.Rank == 3;
        if (input.Rank is not (2 or 3) || input.Size(-1) != InputSize)
            throw new ShapeException($"{op}: input must be [T, N, {InputSize}]{(BatchFirst ? " (batchFirst: [N, T, " + InputSize + "])" : "")} or unbatched [T, {InputSize}], got {input.Shape}.");
        var x = !batched ? input.Unsqueeze(1) : BatchFirst ? input.Transpose(0, 1) : input;
        if (x.Size(0) == 0) throw new ShapeException($"{op}: input {input.Shape} has no time steps.");
        int batch = x.Size(1), states = NumLayers * NumDirections;
        int[] stateShape = batched ? [states, batch, HiddenSize] : [states, HiddenSize];
        foreach (var (name, state) in new[] { ("h0", h0), ("c0", c0) })
            if (state != null && state.Shape != new Shape(stateShape))
                throw new ShapeException($"{op}: initial state {name} has shape {state.Shape}, expected [{string.Join(", ", stateShape)}] for input {input.Shape}.");
        if (!batched)
        {
            h0 = h0?.Unsqueeze(1);
            c0 = c0?.Unsqueeze(1);
        }
        bool lstm = Mode == RecurrentMode.LSTM;
        Tensor? zeros = h0 == null || (lstm && c0 == null) ? Tensor.Zeros([batch, HiddenSize], x.DType) : null;
        var finalH = new Tensor[states];
        var finalC = lstm ? new Tensor[states] : null;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            if (layer > 0 && Dropout > 0 && Training) x = Functional.Dropout(x, Dropout, training: true, Generator);
            var outputs = new Tensor[NumDirections];
            for (int direction = 0; direction < NumDirections; direction++)
            {
                int k = layer * NumDirections + direction;
                var names = parameterNames[k];
                var (output, h, c) = Functional.RecurrentLayer(
                    Mode, x, h0?.Select(0, k) ?? zeros!, lstm ? c0?.Select(0, k) ?? zeros! : null,
                    GetParameter(names[0])!, GetParameter(names[1])!,
                    Bias ? GetParameter(names[2]) : null, Bias ? GetParameter(names[3]) : null, reverse: direction == 1);
                outputs[direction] = output;
                finalH[k] = h;
                if (finalC != null) finalC[k] = c!;
            }
            x = NumDirections == 1 ? outputs[0] : Tensor.Cat(outputs, 2);
        }
        var hN = Tensor.Stack(finalH, 0);
        var cN = finalC == null ? null : Tensor.Stack(finalC, 0);
        if (!batched) return (x.Squeeze(1), hN.Squeeze(1), cN?.Squeeze(1));
        return (BatchFirst ? x.Transpose(0, 1) : x, hN, cN);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var text = $"{InputSize}, {HiddenSize}";
        if (NumLayers != 1) text += $", num_layers={NumLayers}";
        if (!Bias) text += ", bias=False";
        if (BatchFirst) text += ", batch_first=True";
        if (Dropout != 0) text += $", dropout={FormatFloat(Dropout)}";
        if (Bidirectional) text += ", bidirectional=True";
        return text;
    }
}
