using Nabla.Backends.Cpu;

namespace Nabla;

// The LSTM and GRU cells of LSTMCell and GRUCell: one kernel pass forward and one backward instead of a dozen
// small ops and their view gradients, with the cells the whole-sequence kernel runs at every step
// (Backends/Cpu/RecurrentCells.cs). The forward keeps the gate activations for the backward. When the backward
// itself is recorded (createGraph, double backward) the gradients are written in tensor ops instead, so higher
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
        var activations = Uninitialized([.. gates.shape], c.DType, "LstmCell");
        gates.CopyTo(activations);
        var tanhCNext = Uninitialized([.. c.shape], c.DType, "LstmCell");
        var result = Uninitialized([2, .. c.shape], c.DType, "LstmCell");
        int half = cC.Count;
        if (c.DType == DType.Float32)
        {
            var packed = result.Span<float>();
            RecurrentCells.LstmCell(activations.Span<float>(), cC.Span<float>(), packed[half..], tanhCNext.Span<float>(), packed[..half], hidden);
        }
        else
        {
            var packed = result.Span<double>();
            RecurrentCells.LstmCell(activations.Span<double>(), cC.Span<double>(), packed[half..], tanhCNext.Span<double>(), packed[..half], hidden);
        }
        if (Node.ShouldRecord(gates, c))
            Node.Record(result, "LstmCellBackward", [gates, c],
                g => GradMode.IsEnabled ? LstmComposite(g, gates, c, hidden) : LstmFused(g, activations, cC, tanhCNext, hidden), gates, c);
        return result;
    }

    static Tensor?[] LstmFused(Tensor g, Tensor activations, Tensor c, Tensor tanhCNext, int hidden)
    {
        var gc = g.Contiguous();
        int half = c.Count;
        var gradGates = Uninitialized([.. activations.shape], c.DType, "LstmCellBackward");
        var gradC = Uninitialized([.. c.shape], c.DType, "LstmCellBackward"); // d c′ in, d c out
        if (c.DType == DType.Float32)
        {
            gc.Span<float>()[half..].CopyTo(gradC.Span<float>());
            RecurrentCells.LstmCellBackward(gc.Span<float>()[..half], gradC.Span<float>(), activations.Span<float>(), c.Span<float>(),
                tanhCNext.Span<float>(), gradGates.Span<float>(), hidden);
        }
        else
        {
            gc.Span<double>()[half..].CopyTo(gradC.Span<double>());
            RecurrentCells.LstmCellBackward(gc.Span<double>()[..half], gradC.Span<double>(), activations.Span<double>(), c.Span<double>(),
                tanhCNext.Span<double>(), gradGates.Span<double>(), hidden);
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
        var (hgC, hC) = (hiddenGates.Contiguous(), h.Contiguous());
        var activations = Uninitialized([.. inputGates.shape], h.DType, "GruCell");
        inputGates.CopyTo(activations);
        var hn = Uninitialized([.. h.shape], h.DType, "GruCell");
        var result = Uninitialized([.. h.shape], h.DType, "GruCell");
        if (h.DType == DType.Float32)
            RecurrentCells.GruCell(activations.Span<float>(), hgC.Span<float>(), hC.Span<float>(), hn.Span<float>(), result.Span<float>(), hidden);
        else
            RecurrentCells.GruCell(activations.Span<double>(), hgC.Span<double>(), hC.Span<double>(), hn.Span<double>(), result.Span<double>(), hidden);
        if (Node.ShouldRecord([inputGates, hiddenGates, h]))
            Node.Record(result, "GruCellBackward", [inputGates, hiddenGates, h],
                g => GradMode.IsEnabled ? GruComposite(g, inputGates, hiddenGates, h, hidden) : GruFused(g, activations, hC, hn, hidden), inputGates, hiddenGates, h);
        return result;
    }

    static Tensor?[] GruFused(Tensor g, Tensor activations, Tensor h, Tensor hn, int hidden)
    {
        var gradX = Uninitialized([.. activations.shape], h.DType, "GruCellBackward");
        var gradHg = Uninitialized([.. activations.shape], h.DType, "GruCellBackward");
        var gradH = Uninitialized([.. h.shape], h.DType, "GruCellBackward"); // d h′ in, d h out
        g.CopyTo(gradH);
        if (h.DType == DType.Float32)
            RecurrentCells.GruCellBackward(gradH.Span<float>(), activations.Span<float>(), h.Span<float>(), hn.Span<float>(), gradX.Span<float>(), gradHg.Span<float>(), hidden);
        else
            RecurrentCells.GruCellBackward(gradH.Span<double>(), activations.Span<double>(), h.Span<double>(), hn.Span<double>(), gradX.Span<double>(), gradHg.Span<double>(), hidden);
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
