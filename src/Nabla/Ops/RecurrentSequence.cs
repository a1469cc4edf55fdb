using RecurrentSequenceKernel = Nabla.Backends.Cpu.RecurrentSequence;

namespace Nabla;

// A recurrent layer's whole time loop as one op (one graph node), like cuDNN's RNN primitive: the forward
// runs every step in one kernel call, the backward is back-propagation through time in one kernel call
// (Backends/Cpu/RecurrentSequence.cs). Built step by step from tensor ops instead, a T-step sequence
// records ~10·T nodes whose small products, slice gradients and per-step weight gradients cost several
// times the arithmetic. When the backward itself is recorded (createGraph, double backward), the gradient
// is taken through the step-by-step composition of differentiable ops instead, so higher derivatives
// work; tests check the two against each other, against PyTorch and against finite differences.
public partial class Tensor
{
    /// <summary>
    /// Runs a recurrent layer over a sequence from the input projections <paramref name="inputGates"/>
    /// [T, N, G·H] (x W_ihᵀ + b_ih, plus b_hh for RNN and LSTM), the initial state h0 (and c0 for the
    /// LSTM) [N, H], <paramref name="weightHh"/> [G·H, H] and, for the GRU only, b_hh [G·H]. Returns all
    /// states packed as one tensor [T + 1, N, H] ([T + 2, N, H] for the LSTM): the outputs are rows 1..T
    /// (0..T−1 when <paramref name="reverse"/>), h0 the remaining row among the first T + 1, and the LSTM's
    /// c_T the last row; see <see cref="RecurrentOutputs"/>.
    /// </summary>
    internal static Tensor RecurrentSequence(RecurrentMode mode, Tensor inputGates, Tensor h0, Tensor? c0, Tensor weightHh, Tensor? biasHh, bool reverse)
    {
        int steps = inputGates.Size(0), batch = inputGates.Size(1), hidden = h0.Size(-1);
        if (mode != RecurrentMode.GRU && biasHh != null) (inputGates, biasHh) = (inputGates + biasHh, null); // the same pre-activation
        int gates = RecurrentSequenceKernel.GateCount(mode) * hidden;
        bool lstm = mode == RecurrentMode.LSTM, gru = mode == RecurrentMode.GRU;
        var dtype = inputGates.DType;
        var (input, weight, bias) = (inputGates.Contiguous(), weightHh.Contiguous(), gru ? biasHh?.Contiguous() : null);
        var packed = Uninitialized([steps + (lstm ? 2 : 1), batch, hidden], dtype, "RecurrentSequence");
        int stateSize = batch * hidden, h0Row = reverse ? steps : 0;
        var cells = lstm ? Uninitialized([steps + 1, batch, hidden], dtype, "RecurrentSequence") : null;
        var activations = mode is RecurrentMode.GRU or RecurrentMode.LSTM ? Uninitialized([steps, batch, gates], dtype, "RecurrentSequence") : null;
        var saved = activations != null ? Uninitialized([steps, batch, hidden], dtype, "RecurrentSequence") : null;
        CopyRow(h0, packed, h0Row);
        if (cells != null) CopyRow(c0!, cells, h0Row);
        unsafe
        {
            if (dtype == DType.Float32)
            {
                fixed (float* x = input.Data<float>(), w = weight.Data<float>(), b = bias == null ? null : bias.Data<float>(),
                    states = packed.Data<float>(), c = cells == null ? null : cells.Data<float>(),
                    act = activations == null ? null : activations.Data<float>(), s = saved == null ? null : saved.Data<float>())
                    RecurrentSequenceKernel.Forward(mode, steps, batch, hidden, reverse, x + input.offset, w + weight.offset,
                        b == null ? null : b + bias!.offset, states, c, act, s);
            }
            else
            {
                fixed (double* x = input.Data<double>(), w = weight.Data<double>(), b = bias == null ? null : bias.Data<double>(),
                    states = packed.Data<double>(), c = cells == null ? null : cells.Data<double>(),
                    act = activations == null ? null : activations.Data<double>(), s = saved == null ? null : saved.Data<double>())
                    RecurrentSequenceKernel.Forward(mode, steps, batch, hidden, reverse, x + input.offset, w + weight.offset,
                        b == null ? null : b + bias!.offset, states, c, act, s);
            }
        }
        if (cells != null)
        {
            // c_T, the cell state after the last step, goes into the last row.
            int last = RecurrentSequenceKernel.OutputRow(reverse ? 0 : steps - 1, reverse);
            CopyRow(cells.Select(0, last), packed, steps + 1);
        }

        Tensor[] inputs = [inputGates, h0, .. lstm ? [c0!] : Array.Empty<Tensor>(), weightHh, .. bias != null ? [biasHh!] : Array.Empty<Tensor>()];
        if (Node.ShouldRecord(inputs))
        {
            Node.Record(packed, "RecurrentSequenceBackward", inputs, g => GradMode.IsEnabled
                ? RecurrentSequenceComposite(mode, g, inputs, reverse)
                : RecurrentSequenceFused(mode, g, steps, batch, hidden, reverse, weight, packed, cells, activations, saved, bias != null),
                packed);
        }
        return packed;
    }

    /// <summary>The output [T, N, H], h_T and (LSTM) c_T as views of the result of <see cref="RecurrentSequence"/>.</summary>
    internal static (Tensor Output, Tensor H, Tensor? C) RecurrentOutputs(Tensor packed, int steps, bool lstm, bool reverse) =>
        (packed.Narrow(0, reverse ? 0 : 1, steps), packed.Select(0, reverse ? 0 : steps), lstm ? packed.Select(0, steps + 1) : null);

    static void CopyRow(Tensor source, Tensor target, int row)
    {
        var rowView = target.Select(0, row);
        if (source.DType == DType.Float32) source.Contiguous().Span<float>().CopyTo(rowView.Span<float>());
        else source.Contiguous().Span<double>().CopyTo(rowView.Span<double>());
    }

    static Tensor?[] RecurrentSequenceFused(RecurrentMode mode, Tensor g, int steps, int batch, int hidden, bool reverse,
        Tensor weight, Tensor packed, Tensor? cells, Tensor? activations, Tensor? saved, bool hasBias)
    {
        var grad = g.Contiguous();
        int gates = weight.Size(0);
        var dtype = packed.DType;
        bool lstm = mode == RecurrentMode.LSTM, gru = mode == RecurrentMode.GRU;
        var gradInput = Uninitialized([steps, batch, gates], dtype, "RecurrentSequenceBackward");
        var gradHidden = gru ? Uninitialized([steps, batch, gates], dtype, "RecurrentSequenceBackward") : null;
        var gradWeight = Uninitialized([gates, hidden], dtype, "RecurrentSequenceBackward");
        var gradBias = hasBias ? Uninitialized([gates], dtype, "RecurrentSequenceBackward") : null;
        var gradH0 = Uninitialized([batch, hidden], dtype, "RecurrentSequenceBackward");
        var gradC0 = lstm ? Uninitialized([batch, hidden], dtype, "RecurrentSequenceBackward") : null;
        unsafe
        {
            if (dtype == DType.Float32)
            {
                fixed (float* w = weight.Data<float>(), states = packed.Data<float>(), c = cells == null ? null : cells.Data<float>(),
                    act = activations == null ? null : activations.Data<float>(), s = saved == null ? null : saved.Data<float>(),
                    dStates = grad.Data<float>(), dx = gradInput.Data<float>(), dHidden = gradHidden == null ? null : gradHidden.Data<float>(),
                    dw = gradWeight.Data<float>(), db = gradBias == null ? null : gradBias.Data<float>(),
                    dh0 = gradH0.Data<float>(), dc0 = gradC0 == null ? null : gradC0.Data<float>())
                    RecurrentSequenceKernel.Backward(mode, steps, batch, hidden, reverse, w + weight.offset, states, c, act, s,
                        dStates + grad.offset, dx, dHidden, dw, db, dh0, dc0);
            }
            else
            {
                fixed (double* w = weight.Data<double>(), states = packed.Data<double>(), c = cells == null ? null : cells.Data<double>(),
                    act = activations == null ? null : activations.Data<double>(), s = saved == null ? null : saved.Data<double>(),
                    dStates = grad.Data<double>(), dx = gradInput.Data<double>(), dHidden = gradHidden == null ? null : gradHidden.Data<double>(),
                    dw = gradWeight.Data<double>(), db = gradBias == null ? null : gradBias.Data<double>(),
                    dh0 = gradH0.Data<double>(), dc0 = gradC0 == null ? null : gradC0.Data<double>())
                    RecurrentSequenceKernel.Backward(mode, steps, batch, hidden, reverse, w + weight.offset, states, c, act, s,
                        dStates + grad.offset, dx, dHidden, dw, db, dh0, dc0);
            }
        }
        return [gradInput, gradH0, .. lstm ? [gradC0] : Array.Empty<Tensor?>(), gradWeight, .. hasBias ? [gradBias] : Array.Empty<Tensor?>()];
    }

    /// <summary>
    /// The gradient through the step-by-step composition (<see cref="RecurrentSequenceSteps"/>), recorded:
    /// for createGraph. The inputs enter through aliases, so the inner backward stops at them.
    /// </summary>
    static Tensor?[] RecurrentSequenceComposite(RecurrentMode mode, Tensor g, Tensor[] inputs, bool reverse)
    {
        var aliases = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) aliases[i] = inputs[i].RequiresGrad ? inputs[i].View(inputs[i].shape) : inputs[i];
        bool lstm = mode == RecurrentMode.LSTM;
        int k = 2;
        var c0 = lstm ? aliases[k++] : null;
        var weight = aliases[k++];
        var bias = k < aliases.Length ? aliases[k] : null;
        var packed = RecurrentSequenceSteps(mode, aliases[0], aliases[1], c0, weight, bias, reverse);
        var wanted = aliases.Where(a => a.RequiresGrad).ToArray();
        var grads = Autograd.Grad([packed], wanted, [g], retainGraph: true, createGraph: true, allowUnused: true);
        var result = new Tensor?[inputs.Length];
        for (int i = 0, w = 0; i < inputs.Length; i++) if (aliases[i].RequiresGrad) result[i] = grads[w++];
        return result;
    }

    /// <summary>
    /// <see cref="RecurrentSequence"/> as a composition of differentiable ops, one step after another:
    /// the reference for the fused op and its double backward.
    /// </summary>
    internal static Tensor RecurrentSequenceSteps(RecurrentMode mode, Tensor inputGates, Tensor h0, Tensor? c0, Tensor weightHh, Tensor? biasHh, bool reverse)
    {
        int steps = inputGates.Size(0);
        var stepInputs = new Tensor[steps];
        Unbind(inputGates, stepInputs, 0);
        var rows = new Tensor[steps + (mode == RecurrentMode.LSTM ? 2 : 1)];
        rows[reverse ? steps : 0] = h0;
        var weightHhT = weightHh.T;
        Tensor h = h0;
        Tensor? c = c0;
        for (int i = 0; i < steps; i++)
        {
            int t = reverse ? steps - 1 - i : i;
            (h, c) = RecurrentStep(mode, stepInputs[t], h, c, weightHhT, biasHh);
            rows[RecurrentSequenceKernel.OutputRow(t, reverse)] = h;
        }
        if (c != null) rows[steps + 1] = c;
        return Stack(rows, 0);
    }

    /// <summary>
    /// One time step given the input projection <paramref name="inputGates"/> = x W_ihᵀ + b_ih [N, G·H]
    /// (for RNN and LSTM it may already hold b_hh, then <paramref name="biasHh"/> is null).
    /// <paramref name="weightHhT"/> is W_hhᵀ [H, G·H].
    /// </summary>
    internal static (Tensor H, Tensor? C) RecurrentStep(RecurrentMode mode, Tensor inputGates, Tensor h, Tensor? c, Tensor weightHhT, Tensor? biasHh)
    {
        var hiddenGates = h.MatMul(weightHhT);
        if (biasHh != null) hiddenGates = hiddenGates + biasHh;
        switch (mode)
        {
            case RecurrentMode.RNNTanh:
                return ((inputGates + hiddenGates).Tanh(), null);
            case RecurrentMode.RNNRelu:
                return ((inputGates + hiddenGates).Relu(), null);
            case RecurrentMode.GRU:
                // r and z see both projections summed; n sees r ⊙ (W_hn h + b_hn): one fused kernel
                // (Ops/RecurrentCells.cs; h′ = (1 − z) ⊙ n + z ⊙ h).
                return (GruCell(inputGates, hiddenGates, h), null);
            case RecurrentMode.LSTM:
                {
                    // c′ = σ(f) ⊙ c + σ(i) ⊙ tanh(g), h′ = σ(o) ⊙ tanh(c′): one fused kernel, h′ and c′ packed.
                    var packed = LstmCell(inputGates + hiddenGates, c!);
                    return (packed.Select(0, 0), packed.Select(0, 1));
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "RecurrentStep: unknown mode.");
        }
    }

    /// <summary>
    /// The slices of <paramref name="sequence"/> along dim 0, by halving. The backward of a view that
    /// drops elements embeds its gradient into zeros of the parent's shape, so taking T slices
    /// straight from [T, …] would cost T full-size buffers (O(T²) work); halving makes it one full
    /// size per level, O(T log T).
    /// </summary>
    static void Unbind(Tensor sequence, Tensor[] slices, int first)
    {
        int length = sequence.Size(0);
        if (length == 1)
        {
            slices[first] = sequence.Select(0, 0);
            return;
        }
        int half = length / 2;
        Unbind(sequence.Narrow(0, 0, half), slices, first);
        Unbind(sequence.Narrow(0, half, length - half), slices, first + half);
    }
}

/// <summary>The cell computed by a recurrent layer; fixes the number of gates (1, 1, 3, 4).</summary>
internal enum RecurrentMode
{
    RNNTanh,
    RNNRelu,
    GRU,
    LSTM,
}
