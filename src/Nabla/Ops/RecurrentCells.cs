using Nabla.Backends;

namespace Nabla;

// The LSTM and GRU cells of LSTMCell and GRUCell: one kernel pass forward and one backward instead of a dozen
// small ops and their view gradients, with the cells the whole-sequence kernel runs at every step
// (IBackend.LstmCell and GruCell; on the CPU Backends/Cpu/Recurrent/RecurrentCells.cs). The forward keeps the gate activations
// for the backward. When the backward itself is recorded (createGraph, double backward) the gradients are written in tensor ops instead, so higher
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
        var cC = c.Contiguous();
        var backend = Backend.Of("LstmCell", gates, c);
        var (result, activations, tanhCNext) = backend.LstmCell(gates, cC);
        if (Node.ShouldRecord(gates, c))
            Node.Record(result, "LstmCellBackward", [gates, c], g =>
            {
                if (GradMode.IsEnabled) return LstmComposite(g, gates, c, hidden);
                var (gradGates, gradC) = backend.LstmCellBackward(g.Contiguous(), activations, cC, tanhCNext);
                return [gradGates, gradC];
            }, gates, c);
        return result;
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
        var (hgC, hC) = (hiddenGates.Contiguous(), h.Contiguous());
        var backend = Backend.Of("GruCell", inputGates, hiddenGates, h);
        var (result, activations, hn) = backend.GruCell(inputGates, hgC, hC);
        if (Node.ShouldRecord([inputGates, hiddenGates, h]))
            Node.Record(result, "GruCellBackward", [inputGates, hiddenGates, h], g =>
            {
                if (GradMode.IsEnabled) return GruComposite(g, inputGates, hiddenGates, h, hidden);
                var (gradX, gradHg, gradH) = backend.GruCellBackward(g, activations, hC, hn);
                return [gradX, gradHg, gradH];
            }, inputGates, hiddenGates, h);
        return result;
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
