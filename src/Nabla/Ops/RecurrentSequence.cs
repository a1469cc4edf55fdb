using System.Buffers;
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
    /// Runs one recurrent layer in one direction over <paramref name="input"/> [T, N, I] from the initial state
    /// h0 (and c0 for the LSTM) [N, H], with weight_ih [G·H, I], weight_hh [G·H, H] and the biases [G·H]
    /// (either may be null). Returns all states packed as one tensor [T + 1, N, H] ([T + 2, N, H] for the
    /// LSTM): the outputs are rows 1..T (0..T−1 when <paramref name="reverse"/>), h0 the remaining row among
    /// the first T + 1, and the LSTM's c_T the last row; see <see cref="RecurrentOutputs"/>. The caller checks shapes.
    /// </summary>
    internal static Tensor RecurrentSequence(RecurrentMode mode, Tensor input, Tensor h0, Tensor? c0,
        Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh, bool reverse)
    {
        int steps = input.Size(0), batch = input.Size(1), inputSize = input.Size(2), hidden = h0.Size(-1);
        int gates = weightHh.Size(0);
        bool lstm = mode == RecurrentMode.LSTM;
        var dtype = input.DType;
        var (x, wIh, wHh, bIh, bHh) = (input.Contiguous(), weightIh.Contiguous(), weightHh.Contiguous(), biasIh?.Contiguous(), biasHh?.Contiguous());
        var packed = Uninitialized([steps + (lstm ? 2 : 1), batch, hidden], dtype, "RecurrentSequence");
        // What only the backward reads comes from a pool and goes back once the backward has run (or at once
        // when nothing is recorded): a training loop then reuses the same memory step after step.
        var cells = lstm ? Pooled([steps + 1, batch, hidden], dtype) : null;
        var activations = mode is RecurrentMode.GRU or RecurrentMode.LSTM ? Pooled([steps, batch, gates], dtype) : null;
        var saved = activations != null ? Pooled([steps, batch, hidden], dtype) : null;
        int h0Row = reverse ? steps : 0;
        CopyRow(h0, packed, h0Row);
        if (cells != null) CopyRow(c0!, cells, h0Row);
        unsafe
        {
            if (dtype == DType.Float32)
            {
                fixed (float* px = x.Data<float>(), pwIh = wIh.Data<float>(), pwHh = wHh.Data<float>(),
                    pbIh = bIh == null ? null : bIh.Data<float>(), pbHh = bHh == null ? null : bHh.Data<float>(),
                    states = packed.Data<float>(), c = cells == null ? null : cells.Data<float>(),
                    act = activations == null ? null : activations.Data<float>(), s = saved == null ? null : saved.Data<float>())
                    RecurrentSequenceKernel.Forward(mode, steps, batch, inputSize, hidden, reverse, px + x.offset, pwIh + wIh.offset, pwHh + wHh.offset,
                        pbIh == null ? null : pbIh + bIh!.offset, pbHh == null ? null : pbHh + bHh!.offset, states, c, act, s);
            }
            else
            {
                fixed (double* px = x.Data<double>(), pwIh = wIh.Data<double>(), pwHh = wHh.Data<double>(),
                    pbIh = bIh == null ? null : bIh.Data<double>(), pbHh = bHh == null ? null : bHh.Data<double>(),
                    states = packed.Data<double>(), c = cells == null ? null : cells.Data<double>(),
                    act = activations == null ? null : activations.Data<double>(), s = saved == null ? null : saved.Data<double>())
                    RecurrentSequenceKernel.Forward(mode, steps, batch, inputSize, hidden, reverse, px + x.offset, pwIh + wIh.offset, pwHh + wHh.offset,
                        pbIh == null ? null : pbIh + bIh!.offset, pbHh == null ? null : pbHh + bHh!.offset, states, c, act, s);
            }
        }
        // c_T, the cell state after the last step, goes into the last row.
        if (cells != null) CopyRow(cells.Select(0, RecurrentSequenceKernel.OutputRow(reverse ? 0 : steps - 1, reverse)), packed, steps + 1);

        Tensor[] inputs = [input, h0, .. lstm ? [c0!] : Array.Empty<Tensor>(), weightIh, weightHh,
            .. biasIh != null ? [biasIh] : Array.Empty<Tensor>(), .. biasHh != null ? [biasHh] : Array.Empty<Tensor>()];
        if (Node.ShouldRecord(inputs))
        {
            var layer = new RecurrentSaved(mode, reverse, x, wIh, wHh, packed, cells, activations, saved, biasIh != null, biasHh != null);
            Node.Record(packed, "RecurrentSequenceBackward", inputs, g => GradMode.IsEnabled
                ? RecurrentSequenceComposite(mode, g, inputs, biasIh != null, biasHh != null, reverse)
                : RecurrentSequenceFused(g, layer, input.RequiresGrad),
                packed);
        }
        else
        {
            ReturnPooled(cells, activations, saved);
        }
        return packed;
    }

    /// <summary>A contiguous tensor over an array of the shared pool (maybe longer than the tensor).</summary>
    static Tensor Pooled(int[] shape, DType dtype)
    {
        int count = Shape.CheckedNumel(shape, "RecurrentSequence");
        var storage = dtype == DType.Float32 ? Storage.Wrap(ArrayPool<float>.Shared.Rent(count)) : Storage.Wrap(ArrayPool<double>.Shared.Rent(count));
        return OfStorage(storage, shape);
    }

    /// <summary>Gives the arrays of <see cref="Pooled"/> tensors back; the tensors must not be read again.</summary>
    static void ReturnPooled(params Tensor?[] tensors)
    {
        foreach (var tensor in tensors)
        {
            if (tensor == null) continue;
            if (tensor.DType == DType.Float32) ArrayPool<float>.Shared.Return(tensor.Data<float>());
            else ArrayPool<double>.Shared.Return(tensor.Data<double>());
        }
    }

    /// <summary>What the fused backward reads: the contiguous operands and the buffers the forward saved.</summary>
    sealed record RecurrentSaved(RecurrentMode Mode, bool Reverse, Tensor Input, Tensor WeightIh, Tensor WeightHh,
        Tensor Packed, Tensor? Cells, Tensor? Activations, Tensor? Saved, bool HasBiasIh, bool HasBiasHh);

    /// <summary>The output [T, N, H], h_T and (LSTM) c_T as views of the result of <see cref="RecurrentSequence"/>.</summary>
    internal static (Tensor Output, Tensor H, Tensor? C) RecurrentOutputs(Tensor packed, int steps, bool lstm, bool reverse) =>
        (packed.Narrow(0, reverse ? 0 : 1, steps), packed.Select(0, reverse ? 0 : steps), lstm ? packed.Select(0, steps + 1) : null);

    static void CopyRow(Tensor source, Tensor target, int row)
    {
        var rowView = target.Select(0, row);
        if (source.DType == DType.Float32) source.Contiguous().Span<float>().CopyTo(rowView.Span<float>());
        else source.Contiguous().Span<double>().CopyTo(rowView.Span<double>());
    }

    static Tensor?[] RecurrentSequenceFused(Tensor g, RecurrentSaved layer, bool inputGrad)
    {
        var grad = g.Contiguous();
        var (x, wIh, wHh, packed) = (layer.Input, layer.WeightIh, layer.WeightHh, layer.Packed);
        int steps = x.Size(0), batch = x.Size(1), inputSize = x.Size(2), gates = wHh.Size(0), hidden = wHh.Size(1);
        var dtype = packed.DType;
        bool lstm = layer.Mode == RecurrentMode.LSTM;
        const string op = "RecurrentSequenceBackward";
        var gradInput = inputGrad ? Uninitialized([steps, batch, inputSize], dtype, op) : null;
        var gradWeightIh = Uninitialized([gates, inputSize], dtype, op);
        var gradWeightHh = Uninitialized([gates, hidden], dtype, op);
        var gradBiasIh = layer.HasBiasIh ? Uninitialized([gates], dtype, op) : null;
        var gradBiasHh = layer.HasBiasHh ? Uninitialized([gates], dtype, op) : null;
        var gradH0 = Uninitialized([batch, hidden], dtype, op);
        var gradC0 = lstm ? Uninitialized([batch, hidden], dtype, op) : null;
        var (cells, activations, saved) = (layer.Cells, layer.Activations, layer.Saved);
        unsafe
        {
            if (dtype == DType.Float32)
            {
                fixed (float* px = x.Data<float>(), pwIh = wIh.Data<float>(), pwHh = wHh.Data<float>(), states = packed.Data<float>(),
                    c = cells == null ? null : cells.Data<float>(), act = activations == null ? null : activations.Data<float>(),
                    s = saved == null ? null : saved.Data<float>(), dStates = grad.Data<float>(), dx = gradInput == null ? null : gradInput.Data<float>(),
                    dwIh = gradWeightIh.Data<float>(), dwHh = gradWeightHh.Data<float>(),
                    dbIh = gradBiasIh == null ? null : gradBiasIh.Data<float>(), dbHh = gradBiasHh == null ? null : gradBiasHh.Data<float>(),
                    dh0 = gradH0.Data<float>(), dc0 = gradC0 == null ? null : gradC0.Data<float>())
                    RecurrentSequenceKernel.Backward(layer.Mode, steps, batch, inputSize, hidden, layer.Reverse, px + x.offset, pwIh + wIh.offset,
                        pwHh + wHh.offset, states, c, act, s, dStates + grad.offset, dx, dwIh, dwHh, dbIh, dbHh, dh0, dc0);
            }
            else
            {
                fixed (double* px = x.Data<double>(), pwIh = wIh.Data<double>(), pwHh = wHh.Data<double>(), states = packed.Data<double>(),
                    c = cells == null ? null : cells.Data<double>(), act = activations == null ? null : activations.Data<double>(),
                    s = saved == null ? null : saved.Data<double>(), dStates = grad.Data<double>(), dx = gradInput == null ? null : gradInput.Data<double>(),
                    dwIh = gradWeightIh.Data<double>(), dwHh = gradWeightHh.Data<double>(),
                    dbIh = gradBiasIh == null ? null : gradBiasIh.Data<double>(), dbHh = gradBiasHh == null ? null : gradBiasHh.Data<double>(),
                    dh0 = gradH0.Data<double>(), dc0 = gradC0 == null ? null : gradC0.Data<double>())
                    RecurrentSequenceKernel.Backward(layer.Mode, steps, batch, inputSize, hidden, layer.Reverse, px + x.offset, pwIh + wIh.offset,
                        pwHh + wHh.offset, states, c, act, s, dStates + grad.offset, dx, dwIh, dwHh, dbIh, dbHh, dh0, dc0);
            }
        }
        // Not called again unless the graph is kept: the saved buffers can go back to the pool.
        if (!Engine.RetainsGraph) ReturnPooled(cells, activations, saved);
        return [gradInput, gradH0, .. lstm ? [gradC0] : Array.Empty<Tensor?>(), gradWeightIh, gradWeightHh,
            .. layer.HasBiasIh ? [gradBiasIh] : Array.Empty<Tensor?>(), .. layer.HasBiasHh ? [gradBiasHh] : Array.Empty<Tensor?>()];
    }

    /// <summary>
    /// The gradient through the step-by-step composition (<see cref="RecurrentSequenceSteps"/>), recorded:
    /// for createGraph. The inputs enter through aliases, so the inner backward stops at them.
    /// </summary>
    static Tensor?[] RecurrentSequenceComposite(RecurrentMode mode, Tensor g, Tensor[] inputs, bool hasBiasIh, bool hasBiasHh, bool reverse)
    {
        var aliases = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) aliases[i] = inputs[i].RequiresGrad ? inputs[i].View(inputs[i].shape) : inputs[i];
        int k = 2;
        var c0 = mode == RecurrentMode.LSTM ? aliases[k++] : null;
        var (weightIh, weightHh) = (aliases[k++], aliases[k++]);
        var biasIh = hasBiasIh ? aliases[k++] : null;
        var biasHh = hasBiasHh ? aliases[k] : null;
        var packed = RecurrentSequenceSteps(mode, aliases[0], aliases[1], c0, weightIh, weightHh, biasIh, biasHh, reverse);
        var wanted = aliases.Where(a => a.RequiresGrad).ToArray();
        var grads = Autograd.Grad([packed], wanted, [g], retainGraph: true, createGraph: true, allowUnused: true);
        var result = new Tensor?[inputs.Length];
        for (int i = 0, w = 0; i < inputs.Length; i++) if (aliases[i].RequiresGrad) result[i] = grads[w++];
        return result;
    }

    /// <summary>
    /// <see cref="RecurrentSequence"/> as a composition of differentiable ops: one product for the input
    /// projections of all steps, then one step after another. The reference for the fused op and its double backward.
    /// </summary>
    internal static Tensor RecurrentSequenceSteps(RecurrentMode mode, Tensor input, Tensor h0, Tensor? c0,
        Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh, bool reverse)
    {
        int steps = input.Size(0), batch = input.Size(1);
        // RNN and LSTM add both biases to the same pre-activation, so b_hh joins the one-off projection;
        // the GRU needs b_hn inside r ⊙ (W_hn h + b_hn), so it keeps b_hh per step.
        Tensor? inputBias = biasIh, stepBias = biasHh;
        if (mode != RecurrentMode.GRU && biasHh != null) (inputBias, stepBias) = (biasIh == null ? biasHh : biasIh + biasHh, null);
        var projected = input.Reshape(steps * batch, input.Size(2)).MatMul(weightIh.T);
        if (inputBias != null) projected = projected + inputBias;
        var stepInputs = new Tensor[steps];
        Unbind(projected.Reshape(steps, batch, weightIh.Size(0)), stepInputs, 0);
        var rows = new Tensor[steps + (mode == RecurrentMode.LSTM ? 2 : 1)];
        rows[reverse ? steps : 0] = h0;
        var weightHhT = weightHh.T;
        Tensor h = h0;
        Tensor? c = c0;
        for (int i = 0; i < steps; i++)
        {
            int t = reverse ? steps - 1 - i : i;
            (h, c) = RecurrentStep(mode, stepInputs[t], h, c, weightHhT, stepBias);
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
