using System.Buffers;

namespace Nabla.Backends.Cpu;

// The recurrent entry points: the fused LSTM and GRU cells (RecurrentCells) and a layer's whole time loop
// (RecurrentSequence), called unchanged. The buffers only the sequence's backward reads come from ArrayPool and go back
// in ReleaseRecurrentBuffers, so a training loop reuses the same memory step after step.
internal sealed partial class CpuBackend
{
    public (Tensor Packed, Tensor Activations, Tensor TanhCNext) LstmCell(Tensor gates, Tensor c)
    {
        int hidden = c.shape[^1];
        var activations = Allocate(gates.shape, c.DType, zeroed: false, "LstmCell");
        Copy(gates, activations);
        var tanhCNext = Allocate(c.shape, c.DType, zeroed: false, "LstmCell");
        var packed = Allocate([2, .. c.shape], c.DType, zeroed: false, "LstmCell");
        int half = c.Count;
        if (c.DType == DType.Float32)
        {
            var states = packed.HostSpan<float>();
            RecurrentCells.LstmCell(activations.HostSpan<float>(), c.HostSpan<float>(), states[half..], tanhCNext.HostSpan<float>(), states[..half], hidden);
        }
        else
        {
            var states = packed.HostSpan<double>();
            RecurrentCells.LstmCell(activations.HostSpan<double>(), c.HostSpan<double>(), states[half..], tanhCNext.HostSpan<double>(), states[..half], hidden);
        }
        return (packed, activations, tanhCNext);
    }

    public (Tensor Gates, Tensor C) LstmCellBackward(Tensor g, Tensor activations, Tensor c, Tensor tanhCNext)
    {
        int hidden = c.shape[^1], half = c.Count;
        var gradGates = Allocate(activations.shape, c.DType, zeroed: false, "LstmCellBackward");
        var gradC = Allocate(c.shape, c.DType, zeroed: false, "LstmCellBackward"); // d c′ in, d c out
        if (c.DType == DType.Float32)
        {
            g.HostSpan<float>()[half..].CopyTo(gradC.HostSpan<float>());
            RecurrentCells.LstmCellBackward(g.HostSpan<float>()[..half], gradC.HostSpan<float>(), activations.HostSpan<float>(), c.HostSpan<float>(),
                tanhCNext.HostSpan<float>(), gradGates.HostSpan<float>(), hidden);
        }
        else
        {
            g.HostSpan<double>()[half..].CopyTo(gradC.HostSpan<double>());
            RecurrentCells.LstmCellBackward(g.HostSpan<double>()[..half], gradC.HostSpan<double>(), activations.HostSpan<double>(), c.HostSpan<double>(),
                tanhCNext.HostSpan<double>(), gradGates.HostSpan<double>(), hidden);
        }
        return (gradGates, gradC);
    }

    public (Tensor H, Tensor Activations, Tensor HiddenN) GruCell(Tensor inputGates, Tensor hiddenGates, Tensor h)
    {
        int hidden = h.shape[^1];
        var activations = Allocate(inputGates.shape, h.DType, zeroed: false, "GruCell");
        Copy(inputGates, activations);
        var hn = Allocate(h.shape, h.DType, zeroed: false, "GruCell");
        var result = Allocate(h.shape, h.DType, zeroed: false, "GruCell");
        if (h.DType == DType.Float32)
            RecurrentCells.GruCell(activations.HostSpan<float>(), hiddenGates.HostSpan<float>(), h.HostSpan<float>(), hn.HostSpan<float>(), result.HostSpan<float>(), hidden);
        else
            RecurrentCells.GruCell(activations.HostSpan<double>(), hiddenGates.HostSpan<double>(), h.HostSpan<double>(), hn.HostSpan<double>(), result.HostSpan<double>(), hidden);
        return (result, activations, hn);
    }

    public (Tensor InputGates, Tensor HiddenGates, Tensor H) GruCellBackward(Tensor g, Tensor activations, Tensor h, Tensor hiddenN)
    {
        int hidden = h.shape[^1];
        var gradX = Allocate(activations.shape, h.DType, zeroed: false, "GruCellBackward");
        var gradHg = Allocate(activations.shape, h.DType, zeroed: false, "GruCellBackward");
        var gradH = Allocate(h.shape, h.DType, zeroed: false, "GruCellBackward"); // d h′ in, d h out
        Copy(g, gradH);
        if (h.DType == DType.Float32)
            RecurrentCells.GruCellBackward(gradH.HostSpan<float>(), activations.HostSpan<float>(), h.HostSpan<float>(), hiddenN.HostSpan<float>(),
                gradX.HostSpan<float>(), gradHg.HostSpan<float>(), hidden);
        else
            RecurrentCells.GruCellBackward(gradH.HostSpan<double>(), activations.HostSpan<double>(), h.HostSpan<double>(), hiddenN.HostSpan<double>(),
                gradX.HostSpan<double>(), gradHg.HostSpan<double>(), hidden);
        return (gradX, gradHg, gradH);
    }

    public unsafe (Tensor Packed, RecurrentBuffers Buffers) RecurrentSequence(RecurrentMode mode, Tensor input, Tensor h0, Tensor? c0,
        Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh, bool reverse)
    {
        int steps = input.shape[0], batch = input.shape[1], inputSize = input.shape[2], hidden = h0.shape[^1];
        int gates = weightHh.shape[0];
        bool lstm = mode == RecurrentMode.LSTM;
        var dtype = input.DType;
        var (x, wIh, wHh, bIh, bHh) = (input, weightIh, weightHh, biasIh, biasHh);
        var packed = Allocate([steps + (lstm ? 2 : 1), batch, hidden], dtype, zeroed: false, "RecurrentSequence");
        var cells = lstm ? Pooled([steps + 1, batch, hidden], dtype) : null;
        var activations = mode is RecurrentMode.GRU or RecurrentMode.LSTM ? Pooled([steps, batch, gates], dtype) : null;
        var saved = activations != null ? Pooled([steps, batch, hidden], dtype) : null;
        int h0Row = reverse ? steps : 0;
        Copy(h0, packed.Select(0, h0Row));
        if (cells != null) Copy(c0!, cells.Select(0, h0Row));
        if (dtype == DType.Float32)
        {
            fixed (float* px = x.HostData<float>(), pwIh = wIh.HostData<float>(), pwHh = wHh.HostData<float>(),
                pbIh = bIh == null ? null : bIh.HostData<float>(), pbHh = bHh == null ? null : bHh.HostData<float>(),
                states = packed.HostData<float>(), c = cells == null ? null : cells.HostData<float>(),
                act = activations == null ? null : activations.HostData<float>(), s = saved == null ? null : saved.HostData<float>())
                Cpu.RecurrentSequence.Forward(mode, steps, batch, inputSize, hidden, reverse, px + x.offset, pwIh + wIh.offset, pwHh + wHh.offset,
                    pbIh == null ? null : pbIh + bIh!.offset, pbHh == null ? null : pbHh + bHh!.offset, states, c, act, s);
        }
        else
        {
            fixed (double* px = x.HostData<double>(), pwIh = wIh.HostData<double>(), pwHh = wHh.HostData<double>(),
                pbIh = bIh == null ? null : bIh.HostData<double>(), pbHh = bHh == null ? null : bHh.HostData<double>(),
                states = packed.HostData<double>(), c = cells == null ? null : cells.HostData<double>(),
                act = activations == null ? null : activations.HostData<double>(), s = saved == null ? null : saved.HostData<double>())
                Cpu.RecurrentSequence.Forward(mode, steps, batch, inputSize, hidden, reverse, px + x.offset, pwIh + wIh.offset, pwHh + wHh.offset,
                    pbIh == null ? null : pbIh + bIh!.offset, pbHh == null ? null : pbHh + bHh!.offset, states, c, act, s);
        }
        // c_T, the cell state after the last step, goes into the last row.
        if (cells != null) Copy(cells.Select(0, Cpu.RecurrentSequence.OutputRow(reverse ? 0 : steps - 1, reverse)), packed.Select(0, steps + 1));
        return (packed, new RecurrentBuffers(cells, activations, saved));
    }

    public unsafe RecurrentGradients RecurrentSequenceBackward(RecurrentMode mode, bool reverse, Tensor input, Tensor weightIh, Tensor weightHh,
        bool hasBiasIh, bool hasBiasHh, Tensor packed, RecurrentBuffers buffers, Tensor gradPacked, bool inputGrad)
    {
        var (x, wIh, wHh, grad) = (input, weightIh, weightHh, gradPacked);
        int steps = x.shape[0], batch = x.shape[1], inputSize = x.shape[2], gates = wHh.shape[0], hidden = wHh.shape[1];
        var dtype = packed.DType;
        bool lstm = mode == RecurrentMode.LSTM;
        const string op = "RecurrentSequenceBackward";
        var gradInput = inputGrad ? Allocate([steps, batch, inputSize], dtype, zeroed: false, op) : null;
        var gradWeightIh = Allocate([gates, inputSize], dtype, zeroed: false, op);
        var gradWeightHh = Allocate([gates, hidden], dtype, zeroed: false, op);
        var gradBiasIh = hasBiasIh ? Allocate([gates], dtype, zeroed: false, op) : null;
        var gradBiasHh = hasBiasHh ? Allocate([gates], dtype, zeroed: false, op) : null;
        var gradH0 = Allocate([batch, hidden], dtype, zeroed: false, op);
        var gradC0 = lstm ? Allocate([batch, hidden], dtype, zeroed: false, op) : null;
        var (cells, activations, saved) = (buffers.Cells, buffers.Activations, buffers.Saved);
        if (dtype == DType.Float32)
        {
            fixed (float* px = x.HostData<float>(), pwIh = wIh.HostData<float>(), pwHh = wHh.HostData<float>(), states = packed.HostData<float>(),
                c = cells == null ? null : cells.HostData<float>(), act = activations == null ? null : activations.HostData<float>(),
                s = saved == null ? null : saved.HostData<float>(), dStates = grad.HostData<float>(), dx = gradInput == null ? null : gradInput.HostData<float>(),
                dwIh = gradWeightIh.HostData<float>(), dwHh = gradWeightHh.HostData<float>(),
                dbIh = gradBiasIh == null ? null : gradBiasIh.HostData<float>(), dbHh = gradBiasHh == null ? null : gradBiasHh.HostData<float>(),
                dh0 = gradH0.HostData<float>(), dc0 = gradC0 == null ? null : gradC0.HostData<float>())
                Cpu.RecurrentSequence.Backward(mode, steps, batch, inputSize, hidden, reverse, px + x.offset, pwIh + wIh.offset,
                    pwHh + wHh.offset, states, c, act, s, dStates + grad.offset, dx, dwIh, dwHh, dbIh, dbHh, dh0, dc0);
        }
        else
        {
            fixed (double* px = x.HostData<double>(), pwIh = wIh.HostData<double>(), pwHh = wHh.HostData<double>(), states = packed.HostData<double>(),
                c = cells == null ? null : cells.HostData<double>(), act = activations == null ? null : activations.HostData<double>(),
                s = saved == null ? null : saved.HostData<double>(), dStates = grad.HostData<double>(), dx = gradInput == null ? null : gradInput.HostData<double>(),
                dwIh = gradWeightIh.HostData<double>(), dwHh = gradWeightHh.HostData<double>(),
                dbIh = gradBiasIh == null ? null : gradBiasIh.HostData<double>(), dbHh = gradBiasHh == null ? null : gradBiasHh.HostData<double>(),
                dh0 = gradH0.HostData<double>(), dc0 = gradC0 == null ? null : gradC0.HostData<double>())
                Cpu.RecurrentSequence.Backward(mode, steps, batch, inputSize, hidden, reverse, px + x.offset, pwIh + wIh.offset,
                    pwHh + wHh.offset, states, c, act, s, dStates + grad.offset, dx, dwIh, dwHh, dbIh, dbHh, dh0, dc0);
        }
        return new RecurrentGradients(gradInput, gradH0, gradC0, gradWeightIh, gradWeightHh, gradBiasIh, gradBiasHh);
    }

    public void ReleaseRecurrentBuffers(RecurrentBuffers buffers)
    {
        foreach (var tensor in (ReadOnlySpan<Tensor?>)[buffers.Cells, buffers.Activations, buffers.Saved])
        {
            if (tensor == null) continue;
            if (tensor.DType == DType.Float32) ArrayPool<float>.Shared.Return(tensor.HostData<float>());
            else ArrayPool<double>.Shared.Return(tensor.HostData<double>());
        }
    }

    /// <summary>A contiguous tensor over an array of the shared pool (maybe longer than the tensor).</summary>
    static Tensor Pooled(int[] shape, DType dtype)
    {
        int count = Shape.CheckedNumel(shape, "RecurrentSequence");
        var storage = dtype == DType.Float32 ? Storage.Wrap(ArrayPool<float>.Shared.Rent(count), Device.Cpu) : Storage.Wrap(ArrayPool<double>.Shared.Rent(count), Device.Cpu);
        return Tensor.OfStorage(storage, shape);
    }
}
