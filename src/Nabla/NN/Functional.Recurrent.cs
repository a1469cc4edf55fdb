using Nabla.Jit;
namespace Nabla.NN;

// Recurrent cells (one time step) and the time loop of one recurrent layer in one direction.
// The cells are written in differentiable tensor ops, so their gradients (and double backward) come
// from the ops' own rules; the layer's time loop is one fused op with its own backward. Gate order and formulas are PyTorch's.
public static partial class Functional
{
    /// <summary>
    /// One Elman step with tanh (<c>torch.rnn_tanh_cell</c>): h′ = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).
    /// Shape: input [N, I], hx [N, H], weightIh [H, I], weightHh [H, H], biases [H] → [N, H].
    /// </summary>
    public static Tensor RNNTanhCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null)
    {
        CheckCell("RNNTanhCell", input, hx, weightIh, weightHh, biasIh, biasHh, gates: 1);
        return Tensor.RecurrentStep(RecurrentMode.RNNTanh, Linear(input, weightIh, biasIh), hx, null, weightHh.T, biasHh).H;
    }

    /// <summary>
    /// One Elman step with ReLU (<c>torch.rnn_relu_cell</c>): h′ = relu(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).
    /// Shape: input [N, I], hx [N, H], weightIh [H, I], weightHh [H, H], biases [H] → [N, H].
    /// </summary>
    public static Tensor RNNReluCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null)
    {
        CheckCell("RNNReluCell", input, hx, weightIh, weightHh, biasIh, biasHh, gates: 1);
        return Tensor.RecurrentStep(RecurrentMode.RNNRelu, Linear(input, weightIh, biasIh), hx, null, weightHh.T, biasHh).H;
    }

    /// <summary>
    /// One GRU step (<c>torch.gru_cell</c>), gates in PyTorch's order r, z, n:
    /// r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    /// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h′ = (1 − z) ⊙ n + z ⊙ h.
    /// Shape: input [N, I], hx [N, H], weightIh [3H, I], weightHh [3H, H], biases [3H] → [N, H].
    /// </summary>
    public static Tensor GRUCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null)
    {
        CheckCell("GRUCell", input, hx, weightIh, weightHh, biasIh, biasHh, gates: 3);
        return Tensor.RecurrentStep(RecurrentMode.GRU, Linear(input, weightIh, biasIh), hx, null, weightHh.T, biasHh).H;
    }

    /// <summary>
    /// One LSTM step (<c>torch.lstm_cell</c>), gates in PyTorch's order i, f, g, o:
    /// [i f g o] = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh, c′ = σ(f) ⊙ c + σ(i) ⊙ tanh(g), h′ = σ(o) ⊙ tanh(c′).
    /// Shape: input [N, I], hx and cx [N, H], weightIh [4H, I], weightHh [4H, H], biases [4H] → ([N, H], [N, H]).
    /// </summary>
    public static (Tensor H, Tensor C) LSTMCell(Tensor input, (Tensor H, Tensor C) state, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null)
    {
        CheckCell("LSTMCell", input, state.H, weightIh, weightHh, biasIh, biasHh, gates: 4);
        if (state.C.Shape != state.H.Shape)
            throw new ShapeException($"LSTMCell: the cell state cx has shape {state.C.Shape}, expected the shape of hx {state.H.Shape}.");
        var (h, c) = Tensor.RecurrentStep(RecurrentMode.LSTM, Linear(input, weightIh, biasIh), state.H, state.C, weightHh.T, biasHh);
        return (h, c!);
    }

    static void CheckCell(string op, Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh, int gates)
    {
        if (weightIh.Rank != 2 || weightHh.Rank != 2 || weightIh.Size(0) % gates != 0)
            throw new ShapeException($"{op}: weights must be 2-D [{gates}·hidden_size, *], got weight_ih {weightIh.Shape} and weight_hh {weightHh.Shape}.");
        int hidden = weightIh.Size(0) / gates;
        if (weightHh.Size(0) != gates * hidden || weightHh.Size(1) != hidden)
            throw new ShapeException($"{op}: weight_hh has shape {weightHh.Shape}, expected [{gates * hidden}, {hidden}] to match weight_ih {weightIh.Shape}.");
        if (input.Rank != 2 || input.Size(1) != weightIh.Size(1))
            throw new ShapeException($"{op}: input must be [batch, {weightIh.Size(1)}], got {input.Shape}.");
        if (hx.Rank != 2 || hx.Size(0) != input.Size(0) || hx.Size(1) != hidden)
            throw new ShapeException($"{op}: hidden state must be [{input.Size(0)}, {hidden}], got {hx.Shape} (input {input.Shape}).");
        foreach (var (name, bias) in new[] { ("bias_ih", biasIh), ("bias_hh", biasHh) })
            if (bias != null && (bias.Rank != 1 || bias.Size(0) != gates * hidden))
                throw new ShapeException($"{op}: {name} must have shape [{gates * hidden}], got {bias.Shape}.");
    }

    /// <summary>
    /// Runs one recurrent layer in one direction over a whole sequence as one op (<c>Tensor.RecurrentSequence</c>:
    /// the input projections of all T steps are one product, the time loop and back-propagation through time
    /// each one kernel call). Shape: input [T, N, I], h0 and c0 [N, H] → ([T, N, H], h_T, c_T).
    /// </summary>
    internal static (Tensor Output, Tensor H, Tensor? C) RecurrentLayer(
        RecurrentMode mode, Tensor input, Tensor h0, Tensor? c0,
        Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh, bool reverse)
    {
        int steps = input.Size(0);
        if (steps == 0) throw new ShapeException($"RecurrentLayer: input {input.Shape} has no time steps.");
        var packed = Tensor.RecurrentSequence(mode, input, h0, c0, weightIh, weightHh, biasIh, biasHh, reverse);
        var (output, h, c) = Tensor.RecurrentOutputs(packed, steps, mode == RecurrentMode.LSTM, reverse);
        if (Tracer.IsActive) Tracer.Record(GraphOps.RecurrentLayer, c is null ? [output, h] : [output, h, c], [input, h0, c0, weightIh, weightHh, biasIh, biasHh], new() { ["mode"] = mode.ToString(), ["reverse"] = reverse });
        return (output, h, c);
    }
}
