namespace Nabla.Backends.Reference;

// The recurrent cells and a layer's time loop from PyTorch's formulas, in double, one element at a time; the backward is
// back-propagation through time written out step by step. What the backward reads is kept in double (Float64 buffers),
// so a Float32 layer is rounded once, at its outputs.
internal sealed partial class ReferenceBackend
{
    static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    public (Tensor Packed, Tensor Activations, Tensor TanhCNext) LstmCell(Tensor gates, Tensor c)
    {
        int hidden = c.shape[^1], rows = c.Count / Math.Max(hidden, 1);
        double[] pre = Doubles(gates), cell = Doubles(c);
        var act = new double[pre.Length];
        var packed = new double[2 * c.Count];
        var tanhCNext = new double[c.Count];
        for (int n = 0; n < rows; n++)
            for (int j = 0; j < hidden; j++)
            {
                int g = n * 4 * hidden + j, k = n * hidden + j;
                double i = act[g] = Sigmoid(pre[g]), f = act[g + hidden] = Sigmoid(pre[g + hidden]);
                double candidate = act[g + 2 * hidden] = Math.Tanh(pre[g + 2 * hidden]), o = act[g + 3 * hidden] = Sigmoid(pre[g + 3 * hidden]);
                double cNext = f * cell[k] + i * candidate; // c′ = σ(f) ⊙ c + σ(i) ⊙ tanh(g)
                tanhCNext[k] = Math.Tanh(cNext);
                packed[k] = o * tanhCNext[k]; // h′ = σ(o) ⊙ tanh(c′)
                packed[c.Count + k] = cNext;
            }
        return (FromDoubles(packed, [2, .. c.shape], c.DType, "LstmCell"), FromDoubles(act, gates.shape, DType.Float64, "LstmCell"),
            FromDoubles(tanhCNext, c.shape, DType.Float64, "LstmCell"));
    }

    public (Tensor Gates, Tensor C) LstmCellBackward(Tensor g, Tensor activations, Tensor c, Tensor tanhCNext)
    {
        int hidden = c.shape[^1], count = c.Count;
        double[] grad = Doubles(g), act = Doubles(activations), cell = Doubles(c), t = Doubles(tanhCNext);
        var gradGates = new double[act.Length];
        var gradC = new double[count];
        for (int k = 0; k < count; k++)
        {
            int n = k / hidden, j = k % hidden, b = n * 4 * hidden + j;
            var (dGates, dc) = LstmStepBackward(grad[k], grad[count + k], act[b], act[b + hidden], act[b + 2 * hidden], act[b + 3 * hidden], cell[k], t[k]);
            for (int q = 0; q < 4; q++) gradGates[b + q * hidden] = dGates[q];
            gradC[k] = dc;
        }
        return (FromDoubles(gradGates, activations.shape, c.DType, "LstmCellBackward"), FromDoubles(gradC, c.shape, c.DType, "LstmCellBackward"));
    }

    /// <summary>
    /// One LSTM unit's backward: from d h′, d c′ (from later steps), the activations i, f, g, o, c and tanh c′, the gradients of
    /// the four pre-activations and d c.
    /// </summary>
    static (double[] Gates, double C) LstmStepBackward(double dh, double dcNext, double i, double f, double candidate, double o, double c, double tanhCNext)
    {
        double dc = dcNext + dh * o * (1 - tanhCNext * tanhCNext);
        return ([dc * candidate * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - candidate * candidate), dh * tanhCNext * o * (1 - o)], dc * f);
    }

    public (Tensor H, Tensor Activations, Tensor HiddenN) GruCell(Tensor inputGates, Tensor hiddenGates, Tensor h)
    {
        int hidden = h.shape[^1], count = h.Count;
        double[] x = Doubles(inputGates), hg = Doubles(hiddenGates), state = Doubles(h);
        var act = new double[x.Length];
        var hn = new double[count];
        var next = new double[count];
        for (int k = 0; k < count; k++)
        {
            int n = k / hidden, j = k % hidden, b = n * 3 * hidden + j;
            hn[k] = hg[b + 2 * hidden];
            (act[b], act[b + hidden], act[b + 2 * hidden], next[k]) = GruStep(x[b], x[b + hidden], x[b + 2 * hidden], hg[b], hg[b + hidden], hn[k], state[k]);
        }
        return (FromDoubles(next, h.shape, h.DType, "GruCell"), FromDoubles(act, inputGates.shape, DType.Float64, "GruCell"), FromDoubles(hn, h.shape, DType.Float64, "GruCell"));
    }

    /// <summary>r = σ(xᵣ + hᵣ), z = σ(x_z + h_z), n = tanh(xₙ + r ⊙ hₙ), h′ = (1 − z) ⊙ n + z ⊙ h for one unit.</summary>
    static (double R, double Z, double N, double H) GruStep(double xr, double xz, double xn, double hr, double hz, double hn, double h)
    {
        double r = Sigmoid(xr + hr), z = Sigmoid(xz + hz), n = Math.Tanh(xn + r * hn);
        return (r, z, n, (1 - z) * n + z * h);
    }

    public (Tensor InputGates, Tensor HiddenGates, Tensor H) GruCellBackward(Tensor g, Tensor activations, Tensor h, Tensor hiddenN)
    {
        int hidden = h.shape[^1], count = h.Count;
        double[] grad = Doubles(g), act = Doubles(activations), state = Doubles(h), hn = Doubles(hiddenN);
        double[] gradX = new double[act.Length], gradHg = new double[act.Length], gradH = new double[count];
        for (int k = 0; k < count; k++)
        {
            int n = k / hidden, j = k % hidden, b = n * 3 * hidden + j;
            var (gx, gh, direct) = GruStepBackward(grad[k], act[b], act[b + hidden], act[b + 2 * hidden], hn[k], state[k]);
            for (int q = 0; q < 3; q++) (gradX[b + q * hidden], gradHg[b + q * hidden]) = (gx[q], gh[q]);
            gradH[k] = direct;
        }
        return (FromDoubles(gradX, activations.shape, h.DType, "GruCellBackward"), FromDoubles(gradHg, activations.shape, h.DType, "GruCellBackward"),
            FromDoubles(gradH, h.shape, h.DType, "GruCellBackward"));
    }

    /// <summary>One GRU unit's backward from d h′: the gradients of the input projections (r, z, n), of the hidden projections, and d h through z.</summary>
    static (double[] Input, double[] Hidden, double H) GruStepBackward(double dh, double r, double z, double n, double hn, double h)
    {
        double dn = dh * (1 - z) * (1 - n * n), dr = dn * hn * r * (1 - r), dz = dh * (h - n) * z * (1 - z);
        return ([dr, dz, dn], [dr, dz, dn * r], dh * z);
    }

    public (Tensor Packed, RecurrentBuffers Buffers) RecurrentSequence(RecurrentMode mode, Tensor input, Tensor h0, Tensor? c0,
        Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh, bool reverse)
    {
        int steps = input.shape[0], batch = input.shape[1], inputSize = input.shape[2], hidden = h0.shape[^1], gates = weightHh.shape[0];
        bool lstm = mode == RecurrentMode.LSTM;
        double[] x = Doubles(input), wIh = Doubles(weightIh), wHh = Doubles(weightHh);
        double[]? bIh = biasIh == null ? null : Doubles(biasIh), bHh = biasHh == null ? null : Doubles(biasHh);
        int stateSize = batch * hidden, h0Row = reverse ? steps : 0;
        // In double: the states [T + 1, N, H] in the packed rows' order, the cells likewise (LSTM), and per step the gate
        // activations followed by tanh c′ (LSTM) or hₙ (GRU): [T, N, G·H + H].
        var states = new double[(steps + 1) * stateSize];
        var cells = new double[(steps + 1) * stateSize];
        var saved = new double[steps * batch * (gates + hidden)];
        Array.Copy(Doubles(h0), 0, states, h0Row * stateSize, stateSize);
        if (lstm) Array.Copy(Doubles(c0!), 0, cells, h0Row * stateSize, stateSize);
        var xg = new double[gates];
        var hg = new double[gates];
        for (int s = 0; s < steps; s++)
        {
            int t = reverse ? steps - 1 - s : s, previous = reverse ? t + 1 : t, output = reverse ? t : t + 1;
            for (int n = 0; n < batch; n++)
            {
                for (int q = 0; q < gates; q++)
                {
                    xg[q] = bIh?[q] ?? 0;
                    for (int i = 0; i < inputSize; i++) xg[q] += wIh[q * inputSize + i] * x[(t * batch + n) * inputSize + i];
                    hg[q] = bHh?[q] ?? 0;
                    for (int j = 0; j < hidden; j++) hg[q] += wHh[q * hidden + j] * states[previous * stateSize + n * hidden + j];
                }
                int rowSaved = (t * batch + n) * (gates + hidden);
                for (int j = 0; j < hidden; j++)
                {
                    int from = previous * stateSize + n * hidden + j, to = output * stateSize + n * hidden + j;
                    switch (mode)
                    {
                        case RecurrentMode.RNNTanh: states[to] = Math.Tanh(xg[j] + hg[j]); break;
                        case RecurrentMode.RNNRelu: states[to] = Math.Max(xg[j] + hg[j], 0); break;
                        case RecurrentMode.GRU:
                            {
                                var (r, z, gn, hNext) = GruStep(xg[j], xg[hidden + j], xg[2 * hidden + j], hg[j], hg[hidden + j], hg[2 * hidden + j], states[from]);
                                (saved[rowSaved + j], saved[rowSaved + hidden + j], saved[rowSaved + 2 * hidden + j]) = (r, z, gn);
                                saved[rowSaved + gates + j] = hg[2 * hidden + j];
                                states[to] = hNext;
                                break;
                            }
                        default:
                            {
                                double i = Sigmoid(xg[j] + hg[j]), f = Sigmoid(xg[hidden + j] + hg[hidden + j]);
                                double candidate = Math.Tanh(xg[2 * hidden + j] + hg[2 * hidden + j]), o = Sigmoid(xg[3 * hidden + j] + hg[3 * hidden + j]);
                                cells[to] = f * cells[from] + i * candidate;
                                double tanhC = Math.Tanh(cells[to]);
                                (saved[rowSaved + j], saved[rowSaved + hidden + j], saved[rowSaved + 2 * hidden + j], saved[rowSaved + 3 * hidden + j]) = (i, f, candidate, o);
                                saved[rowSaved + gates + j] = tanhC;
                                states[to] = o * tanhC;
                                break;
                            }
                    }
                }
            }
        }
        var packed = new double[(steps + (lstm ? 2 : 1)) * stateSize];
        Array.Copy(states, packed, states.Length);
        if (lstm) Array.Copy(cells, (reverse ? 0 : steps) * stateSize, packed, (steps + 1) * stateSize, stateSize);
        var buffers = new RecurrentBuffers(
            lstm ? FromDoubles(cells, [steps + 1, batch, hidden], DType.Float64, "RecurrentSequence") : null,
            FromDoubles(saved, [steps, batch, gates + hidden], DType.Float64, "RecurrentSequence"),
            FromDoubles(states, [steps + 1, batch, hidden], DType.Float64, "RecurrentSequence"));
        return (FromDoubles(packed, [steps + (lstm ? 2 : 1), batch, hidden], input.DType, "RecurrentSequence"), buffers);
    }

    public RecurrentGradients RecurrentSequenceBackward(RecurrentMode mode, bool reverse, Tensor input, Tensor weightIh, Tensor weightHh,
        bool hasBiasIh, bool hasBiasHh, Tensor packed, RecurrentBuffers buffers, Tensor gradPacked, bool inputGrad)
    {
        int steps = input.shape[0], batch = input.shape[1], inputSize = input.shape[2], gates = weightHh.shape[0], hidden = weightHh.shape[1];
        bool lstm = mode == RecurrentMode.LSTM;
        int stateSize = batch * hidden, h0Row = reverse ? steps : 0;
        double[] x = Doubles(input), wIh = Doubles(weightIh), wHh = Doubles(weightHh), grad = Doubles(gradPacked);
        double[] saved = Doubles(buffers.Activations!), states = Doubles(buffers.Saved!), cells = lstm ? Doubles(buffers.Cells!) : [];
        double[] gradX = new double[x.Length], gradWIh = new double[wIh.Length], gradWHh = new double[wHh.Length];
        double[] gradBIh = new double[gates], gradBHh = new double[gates];
        // d loss / d h and d c flowing back into the state the next step (in time order) read.
        var carryH = new double[stateSize];
        var carryC = new double[stateSize];
        if (lstm) Array.Copy(grad, (steps + 1) * stateSize, carryC, 0, stateSize);
        double[] gx = new double[gates], gh = new double[gates];
        for (int s = steps - 1; s >= 0; s--)
        {
            int t = reverse ? steps - 1 - s : s, previous = reverse ? t + 1 : t, output = reverse ? t : t + 1;
            var nextCarryH = new double[stateSize];
            for (int n = 0; n < batch; n++)
            {
                int rowSaved = (t * batch + n) * (gates + hidden);
                for (int j = 0; j < hidden; j++)
                {
                    int k = n * hidden + j;
                    double dh = grad[output * stateSize + k] + carryH[k], hPrevious = states[previous * stateSize + k], h = states[output * stateSize + k];
                    switch (mode)
                    {
                        case RecurrentMode.RNNTanh: gx[j] = gh[j] = dh * (1 - h * h); break;
                        case RecurrentMode.RNNRelu: gx[j] = gh[j] = h > 0 ? dh : 0; break;
                        case RecurrentMode.GRU:
                            {
                                var (input3, hidden3, direct) = GruStepBackward(dh, saved[rowSaved + j], saved[rowSaved + hidden + j], saved[rowSaved + 2 * hidden + j],
                                    saved[rowSaved + gates + j], hPrevious);
                                for (int q = 0; q < 3; q++) (gx[q * hidden + j], gh[q * hidden + j]) = (input3[q], hidden3[q]);
                                nextCarryH[k] += direct;
                                break;
                            }
                        default:
                            {
                                var (four, dc) = LstmStepBackward(dh, carryC[k], saved[rowSaved + j], saved[rowSaved + hidden + j], saved[rowSaved + 2 * hidden + j],
                                    saved[rowSaved + 3 * hidden + j], cells[previous * stateSize + k], saved[rowSaved + gates + j]);
                                for (int q = 0; q < 4; q++) gx[q * hidden + j] = gh[q * hidden + j] = four[q];
                                carryC[k] = dc;
                                break;
                            }
                    }
                }
                // The pre-activations are x W_ihᵀ + b_ih and h W_hhᵀ + b_hh: their gradients reach the weights, biases, x and h.
                for (int q = 0; q < gates; q++)
                {
                    gradBIh[q] += gx[q];
                    gradBHh[q] += gh[q];
                    for (int i = 0; i < inputSize; i++)
                    {
                        gradWIh[q * inputSize + i] += gx[q] * x[(t * batch + n) * inputSize + i];
                        gradX[(t * batch + n) * inputSize + i] += gx[q] * wIh[q * inputSize + i];
                    }
                    for (int j = 0; j < hidden; j++)
                    {
                        gradWHh[q * hidden + j] += gh[q] * states[previous * stateSize + n * hidden + j];
                        nextCarryH[n * hidden + j] += gh[q] * wHh[q * hidden + j];
                    }
                }
            }
            carryH = nextCarryH;
        }
        for (int k = 0; k < stateSize; k++) carryH[k] += grad[h0Row * stateSize + k]; // h0 is also a row of the packed states
        var dtype = packed.DType;
        const string op = "RecurrentSequenceBackward";
        return new RecurrentGradients(
            inputGrad ? FromDoubles(gradX, input.shape, dtype, op) : null,
            FromDoubles(carryH, [batch, hidden], dtype, op),
            lstm ? FromDoubles(carryC, [batch, hidden], dtype, op) : null,
            FromDoubles(gradWIh, weightIh.shape, dtype, op),
            FromDoubles(gradWHh, weightHh.shape, dtype, op),
            hasBiasIh ? FromDoubles(gradBIh, [gates], dtype, op) : null,
            hasBiasHh ? FromDoubles(gradBHh, [gates], dtype, op) : null);
    }

    public void ReleaseRecurrentBuffers(RecurrentBuffers buffers)
    {
        // Plain arrays: the garbage collector takes them back.
    }
}
