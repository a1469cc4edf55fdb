namespace Nabla.Onnx;

// ONNX's RNN, GRU and LSTM (one layer, forward, reverse or bidirectional) unrolled over time with tensor ops, so they
// are differentiable like every other operator. Weights are W [D, G·H, I], R [D, G·H, H], B [D, 2·G·H] in ONNX's gate
// orders (GRU z, r, h; LSTM i, o, f, c; LSTM peepholes P [D, 3·H] i, o, f). Default activations only; no clip or input_forget.
internal static partial class OnnxOperators
{
    static void AddRecurrent(Dictionary<string, Operator> table)
    {
        table["RNN"] = n => Recurrent(n, 1);
        table["GRU"] = n => Recurrent(n, 3);
        table["LSTM"] = n => Recurrent(n, 4);
    }

    static Tensor?[] Recurrent(OnnxNode n, int gates)
    {
        if (n.Has("clip")) throw n.Error("the clip attribute is not supported.");
        if (n.Int("input_forget", 0) != 0) throw n.Error("input_forget = 1 is not supported.");
        if (n.Has("activations"))
        {
            var activations = n.Proto.Attribute.First(a => a.Name == "activations").Strings.Select(s => s.ToStringUtf8()).ToArray();
            string[] standard = gates switch { 1 => ["Tanh"], 3 => ["Sigmoid", "Tanh"], _ => ["Sigmoid", "Tanh", "Tanh"] };
            bool relu = gates == 1 && activations.All(a => a == "Relu");
            if (!relu && !activations.Select((a, i) => a == standard[i % standard.Length]).All(x => x))
                throw n.Error($"activations [{string.Join(", ", activations)}] are not supported (only the defaults, and Relu for RNN).");
        }
        bool reluActivation = n.Has("activations") && gates == 1 && n.Proto.Attribute.First(a => a.Name == "activations").Strings.All(s => s.ToStringUtf8() == "Relu");
        var x = n.Input(0);
        bool batchFirst = n.Int("layout", 0) != 0;
        if (batchFirst) x = x.Transpose(0, 1);
        var w = n.Input(1);
        var r = n.Input(2);
        var b = n.OptionalInput(3);
        if (n.OptionalInput(4) is { } lengths && lengths.ToArray<long>().Any(l => l != x.Size(0)))
            throw n.Error("sequence_lens shorter than the sequence are not supported.");
        var peepholes = n.OptionalInput(7);
        int hidden = checked((int)n.Int("hidden_size", r.Size(2)));
        string direction = n.String("direction", "forward");
        int directions = direction == "bidirectional" ? 2 : 1;
        if (w.Size(0) != directions) throw n.Error($"W has {w.Size(0)} directions, direction '{direction}' needs {directions}.");
        int steps = x.Size(0), batch = x.Size(1);
        var h0 = n.OptionalInput(5);
        var c0 = n.OptionalInput(6);
        if (batchFirst)
        {
            h0 = h0?.Transpose(0, 1);
            c0 = c0?.Transpose(0, 1);
        }
        bool linearBeforeReset = n.Int("linear_before_reset", 0) != 0;

        var sequences = new Tensor[directions];
        var lastH = new Tensor[directions];
        var lastC = new Tensor[directions];
        for (int d = 0; d < directions; d++)
        {
            bool reverse = direction == "reverse" || d == 1;
            var wd = w.Select(0, d);
            var rd = r.Select(0, d);
            var bw = b?.Select(0, d).Narrow(0, 0, gates * hidden);
            var br = b?.Select(0, d).Narrow(0, gates * hidden, gates * hidden);
            var h = h0?.Select(0, d) ?? Tensor.Zeros([batch, hidden], x.DType);
            var c = c0?.Select(0, d) ?? Tensor.Zeros([batch, hidden], x.DType);
            var pd = peepholes?.Select(0, d);
            // The input projections of every step in one product.
            var projected = x.MatMul(wd.T);
            if (bw is not null) projected += bw;
            var outputs = new Tensor[steps];
            for (int s = 0; s < steps; s++)
            {
                int t = reverse ? steps - 1 - s : s;
                var xt = projected.Select(0, t);
                Tensor Gate(Tensor all, int g) => all.Narrow(-1, g * hidden, hidden);
                switch (gates)
                {
                    case 1:
                        {
                            var a = xt + h.MatMul(rd.T);
                            if (br is not null) a += br;
                            h = reluActivation ? a.Relu() : a.Tanh();
                            break;
                        }
                    case 3:
                        {
                            // z, r, h̃: h̃ = tanh(x·Wh + (r ⊙ h)·Rh + Rbh), or with linear_before_reset tanh(x·Wh + r ⊙ (h·Rh + Rbh)).
                            var rz = h.MatMul(rd.Narrow(0, 0, 2 * hidden).T);
                            if (br is not null) rz += br.Narrow(0, 0, 2 * hidden);
                            var z = (Gate(xt, 0) + Gate(rz, 0)).Sigmoid();
                            var reset = (Gate(xt, 1) + Gate(rz, 1)).Sigmoid();
                            var rh = rd.Narrow(0, 2 * hidden, hidden);
                            var rbh = br?.Narrow(0, 2 * hidden, hidden);
                            Tensor recurrent = linearBeforeReset
                                ? reset * (rbh is null ? h.MatMul(rh.T) : h.MatMul(rh.T) + rbh)
                                : (rbh is null ? (reset * h).MatMul(rh.T) : (reset * h).MatMul(rh.T) + rbh);
                            var candidate = (Gate(xt, 2) + recurrent).Tanh();
                            h = (1 - z) * candidate + z * h;
                            break;
                        }
                    default:
                        {
                            // i, o, f, c: c ← f ⊙ c + i ⊙ tanh(c̃), h ← o ⊙ tanh(c); peepholes add P ⊙ c (the old c for i and f, the new for o).
                            var a = xt + h.MatMul(rd.T);
                            if (br is not null) a += br;
                            var input = (pd is null ? Gate(a, 0) : Gate(a, 0) + pd.Narrow(0, 0, hidden) * c).Sigmoid();
                            var forget = (pd is null ? Gate(a, 2) : Gate(a, 2) + pd.Narrow(0, 2 * hidden, hidden) * c).Sigmoid();
                            c = forget * c + input * Gate(a, 3).Tanh();
                            var output = (pd is null ? Gate(a, 1) : Gate(a, 1) + pd.Narrow(0, hidden, hidden) * c).Sigmoid();
                            h = output * c.Tanh();
                            break;
                        }
                }
                outputs[t] = h;
            }
            sequences[d] = Tensor.Stack(outputs, 0);
            lastH[d] = h;
            lastC[d] = c;
        }
        var y = Tensor.Stack(sequences, 1); // [T, D, N, H]
        var yh = Tensor.Stack(lastH, 0);    // [D, N, H]
        var yc = Tensor.Stack(lastC, 0);
        if (batchFirst) return [y.Permute(2, 0, 1, 3), yh.Transpose(0, 1), gates == 4 ? yc.Transpose(0, 1) : null];
        return [y, yh, gates == 4 ? yc : null];
    }
}
