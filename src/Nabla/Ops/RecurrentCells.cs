using Nabla.Backends.Cpu;

namespace Nabla;

// Fused LSTM and GRU cells for the recurrent layers: one kernel pass forward and one backward
// instead of a dozen small ops and their view gradients. When the backward itself is recorded
// (createGraph, double backward) the gradients are written in tensor ops instead, so higher
// derivatives still work; tests check both against PyTorch, finite differences and each other.
public partial class Tensor
{
    /// <summary>
    /// One LSTM step from gate pre-activations [N, 4H] (i, f, g, o) and c [N, H]:
    /// c′ = σ(f) ⊙ c + σ(i) ⊙ tanh(g), h′ = σ(o) ⊙ tanh(c′), returned packed as [2, N, H]
    /// (h′ then c′) so that one node carries both; <c>Select(0, k)</c> gives contiguous views.
    /// </summary>
    internal static Tensor LstmCell(Tensor gates, Tensor c)
    {
        int hidden = c.Size(-1);
        var (gatesC, cC) = (gates.Contiguous(), c.Contiguous());
        var result = Uninitialized([2, .. c.shape], c.DType, "LstmCell");
        int half = cC.Count;
        if (c.DType == DType.Float32)
        {
            var packed = result.Span<float>();
            RecurrentCells.Lstm(gatesC.Span<float>(), cC.Span<float>(), packed[half..], packed[..half], hidden);
        }
        else
        {
            var packed = result.Span<double>();
            RecurrentCells.Lstm(gatesC.Span<double>(), cC.Span<double>(), packed[half..], packed[..half], hidden);
        }
        if (Node.ShouldRecord(gates, c))
            Node.Record(result, "LstmCellBackward", [gates, c],
                g => GradMode.IsEnabled ? LstmComposite(g, gates, c, hidden) : LstmFused(g, gatesC, cC, result, hidden), gates, c, result);
        return result;
    }

    static Tensor?[] LstmFused(Tensor g, Tensor gates, Tensor c, Tensor packed, int hidden)
    {
        var gc = g.Contiguous();
        int half = c.Count;
        var gradGates = Uninitialized([.. gates.shape], gates.DType, "LstmCellBackward");
        var gradC = Uninitialized([.. c.shape], c.DType, "LstmCellBackward");
        if (c.DType == DType.Float32)
        {
            ReadOnlySpan<float> grad = gc.Span<float>(), cNext = packed.Span<float>()[half..];
            RecurrentCells.LstmBackward(grad[..half], grad[half..], gates.Span<float>(), c.Span<float>(), cNext, gradGates.Span<float>(), gradC.Span<float>(), hidden);
        }
        else
        {
            ReadOnlySpan<double> grad = gc.Span<double>(), cNext = packed.Span<double>()[half..];
            RecurrentCells.LstmBackward(grad[..half], grad[half..], gates.Span<double>(), c.Span<double>(), cNext, gradGates.Span<double>(), gradC.Span<double>(), hidden);
        }
        return [gradGates, gradC];
    }

    static Tensor?[] LstmComposite(Tensor g, Tensor gates, Tensor c, int hidden)
    {
        var i = gates.Narrow(-1, 0, hidden).Sigmoid();
        var f = gates.Narrow(-1, hidden, hidden).Sigmoid();
        var cell = gates.Narrow(-1, 2 * hidden, hidden).Tanh();
        var o = gates.Narrow(-1, 3 * hidden, hidden).Sigmoid();
        var t = (f * c + i * cell).Tanh();
        var gradH = g.Select(0, 0);
        var gradC = g.Select(0, 1) + gradH * o * (1 - t * t);
        return [Cat([gradC * cell * i * (1 - i), gradC * c * f * (1 - f), gradC * i * (1 - cell * cell), gradH * t * o * (1 - o)], -1), gradC * f];
    }

    /// <summary>
    /// GRU step h′ = n + z ⊙ (h − n), r = σ(xᵣ + hᵣ), z = σ(x_z + h_z), n = tanh(xₙ + r ⊙ hₙ), from the
    /// input and hidden projections [N, 3H] (r, z, n; biases included) and h [N, H].
    /// </summary>
    internal static Tensor GruCell(Tensor inputGates, Tensor hiddenGates, Tensor h)
    {
        int hidden = h.Size(-1);
        var (xC, hgC, hC) = (inputGates.Contiguous(), hiddenGates.Contiguous(), h.Contiguous());
        var result = Uninitialized([.. h.shape], h.DType, "GruCell");
        if (h.DType == DType.Float32) RecurrentCells.Gru(xC.Span<float>(), hgC.Span<float>(), hC.Span<float>(), result.Span<float>(), hidden);
        else RecurrentCells.Gru(xC.Span<double>(), hgC.Span<double>(), hC.Span<double>(), result.Span<double>(), hidden);
        if (Node.ShouldRecord([inputGates, hiddenGates, h]))
            Node.Record(result, "GruCellBackward", [inputGates, hiddenGates, h],
                g => GradMode.IsEnabled ? GruComposite(g, inputGates, hiddenGates, h, hidden) : GruFused(g, xC, hgC, hC, hidden), inputGates, hiddenGates, h);
        return result;
    }

    static Tensor?[] GruFused(Tensor g, Tensor inputGates, Tensor hiddenGates, Tensor h, int hidden)
    {
        var gc = g.Contiguous();
        var gradX = Uninitialized([.. inputGates.shape], h.DType, "GruCellBackward");
        var gradHg = Uninitialized([.. hiddenGates.shape], h.DType, "GruCellBackward");
        var gradH = Uninitialized([.. h.shape], h.DType, "GruCellBackward");
        if (h.DType == DType.Float32)
            RecurrentCells.GruBackward(gc.Span<float>(), inputGates.Span<float>(), hiddenGates.Span<float>(), h.Span<float>(), gradX.Span<float>(), gradHg.Span<float>(), gradH.Span<float>(), hidden);
        else
            RecurrentCells.GruBackward(gc.Span<double>(), inputGates.Span<double>(), hiddenGates.Span<double>(), h.Span<double>(), gradX.Span<double>(), gradHg.Span<double>(), gradH.Span<double>(), hidden);
        return [gradX, gradHg, gradH];
    }

    static Tensor?[] GruComposite(Tensor g, Tensor inputGates, Tensor hiddenGates, Tensor h, int hidden)
    {
        var r = (inputGates.Narrow(-1, 0, hidden) + hiddenGates.Narrow(-1, 0, hidden)).Sigmoid();
        var z = (inputGates.Narrow(-1, hidden, hidden) + hiddenGates.Narrow(-1, hidden, hidden)).Sigmoid();
        var hn = hiddenGates.Narrow(-1, 2 * hidden, hidden);
        var n = (inputGates.Narrow(-1, 2 * hidden, hidden) + r * hn).Tanh();
        var gradN = g * (1 - z) * (1 - n * n);
        var gradR = gradN * hn * r * (1 - r);
        var gradZ = g * (h - n) * z * (1 - z);
        return [Cat([gradR, gradZ, gradN], -1), Cat([gradR, gradZ, gradN * r], -1), g * z];
    }
}
