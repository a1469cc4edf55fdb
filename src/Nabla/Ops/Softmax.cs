using Nabla.Backends;
using Nabla.Jit;

namespace Nabla;

// Softmax and log-softmax along a dim: one fused, max-shifted kernel forward; the backward in
// tensor ops (so that it too can be differentiated).
public partial class Tensor
{
    /// <summary>e^(xᵢ) / Σⱼ e^(xⱼ) along dim (<c>softmax</c>).</summary>
    public Tensor Softmax(int dim)
    {
        var result = SoftmaxForward(dim, log: false, "Softmax");
        // ∂L/∂x = y ⊙ (g − Σ g⊙y)
        if (Node.ShouldRecord(this))
            Node.Record(result, "SoftmaxBackward0", [this], g => [result * (g - (g * result).Sum(dim, keepDim: true))], result);
        if (Tracer.IsActive) Tracer.Record(GraphOps.Softmax, result, [this], new() { ["dim"] = dim });
        return result;
    }

    /// <summary>xᵢ − ln Σⱼ e^(xⱼ) along dim (<c>log_softmax</c>), computed without overflow.</summary>
    public Tensor LogSoftmax(int dim)
    {
        var result = SoftmaxForward(dim, log: true, "LogSoftmax");
        // ∂L/∂x = g − e^y · Σ g
        if (Node.ShouldRecord(this))
            Node.Record(result, "LogSoftmaxBackward0", [this], g => [g - result.Exp() * g.Sum(dim, keepDim: true)], result);
        if (Tracer.IsActive) Tracer.Record(GraphOps.LogSoftmax, result, [this], new() { ["dim"] = dim });
        return result;
    }

    Tensor SoftmaxForward(int dim, bool log, string op)
    {
        int d = Shape.NormalizeDim(dim, Rank, op);
        var source = DType.IsFloatingPoint() ? this : ToDType(DType.Float32);
        // Work on rows: move dim last when it is not already.
        bool last = Rank == 0 || d == Rank - 1;
        var rows = (last ? source.Detach() : source.Detach().Transpose(d, -1)).Contiguous();
        int n = Rank == 0 ? 1 : shape[d];
        var output = Backend.Of(rows).Softmax(rows, n, log);
        return last ? output : output.Transpose(d, -1).Contiguous();
    }
}
