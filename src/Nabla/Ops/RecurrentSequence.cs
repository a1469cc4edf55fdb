using Nabla.Backends;
using RecurrentSequenceKernel = Nabla.Backends.Cpu.RecurrentSequence;

namespace Nabla;

// A recurrent layer's whole time loop as one op (one graph node), like cuDNN's RNN primitive: the forward
// runs every step in one kernel call, the backward is back-propagation through time in one kernel call
// (IBackend.RecurrentSequence; on the CPU Backends/Cpu/Recurrent/RecurrentSequence.cs). Built step by step from tensor
// ops instead, a T-step sequence records ~10·T nodes whose small products, slice gradients and per-step
// weight gradients cost several times the arithmetic. When the backward itself is recorded (createGraph, double backward), the gradient
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
        bool lstm = mode == RecurrentMode.LSTM;
        var (x, wIh, wHh) = (input.Contiguous(), weightIh.Contiguous(), weightHh.Contiguous());
        var backend = Backend.Of("RecurrentSequence", x, wIh, wHh);
        // What only the backward reads goes back to the backend once the backward has run (or at once when nothing is
        // recorded): on the CPU a training loop then reuses the same memory step after step.
        var (packed, buffers) = backend.RecurrentSequence(mode, x, h0, c0, wIh, wHh, biasIh?.Contiguous(), biasHh?.Contiguous(), reverse);

        Tensor[] inputs = [input, h0, .. lstm ? [c0!] : Array.Empty<Tensor>(), weightIh, weightHh,
            .. biasIh != null ? [biasIh] : Array.Empty<Tensor>(), .. biasHh != null ? [biasHh] : Array.Empty<Tensor>()];
        if (Node.ShouldRecord(inputs))
        {
            bool hasBiasIh = biasIh != null, hasBiasHh = biasHh != null, inputGrad = input.RequiresGrad;
            Node.Record(packed, "RecurrentSequenceBackward", inputs, g =>
            {
                if (GradMode.IsEnabled) return RecurrentSequenceComposite(mode, g, inputs, hasBiasIh, hasBiasHh, reverse);
                var grads = backend.RecurrentSequenceBackward(mode, reverse, x, wIh, wHh, hasBiasIh, hasBiasHh, packed, buffers, g.Contiguous(), inputGrad);
                // Not called again unless the graph is kept: the saved buffers can go back.
                if (!Engine.RetainsGraph) backend.ReleaseRecurrentBuffers(buffers);
                return [grads.Input, grads.H0, .. lstm ? [grads.C0] : Array.Empty<Tensor?>(), grads.WeightIh, grads.WeightHh,
                    .. hasBiasIh ? [grads.BiasIh] : Array.Empty<Tensor?>(), .. hasBiasHh ? [grads.BiasHh] : Array.Empty<Tensor?>()];
            }, packed);
        }
        else
        {
            backend.ReleaseRecurrentBuffers(buffers);
        }
        return packed;
    }

    /// <summary>The output [T, N, H], h_T and (LSTM) c_T as views of the result of <see cref="RecurrentSequence"/>.</summary>
    internal static (Tensor Output, Tensor H, Tensor? C) RecurrentOutputs(Tensor packed, int steps, bool lstm, bool reverse) =>
        (packed.Narrow(0, reverse ? 0 : 1, steps), packed.Select(0, reverse ? 0 : steps), lstm ? packed.Select(0, steps + 1) : null);

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
