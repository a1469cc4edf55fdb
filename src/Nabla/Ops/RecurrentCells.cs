using Nabla.Backends.Cpu;

namespace Nabla;

// The fused GRU cell for the recurrent layers: one kernel pass forward and one backward instead
// of a dozen small ops and their view gradients (an LSTM version with scalar exp/tanh was slower
// than the vectorised composite ops, so LSTM stays composite for now). When the backward itself is recorded
// (createGraph, double backward) the gradients are written in tensor ops instead, so higher
// derivatives still work; tests check both against PyTorch and finite differences.
public partial class Tensor
{
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
