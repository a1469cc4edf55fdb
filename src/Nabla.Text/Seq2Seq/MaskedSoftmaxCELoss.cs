using Nabla.NN;

namespace Nabla.Text.Seq2Seq;

/// <summary>
/// d2l's <c>MaskedSoftmaxCELoss</c> (§9.7.3): softmax cross-entropy of every target step, with the steps
/// at or after each sequence's valid length (its padding) weighted 0, averaged over the steps.
/// Shape: pred [N, T, V] logits, label Int64 [N, T], validLen Int64 [N] → loss per sequence [N].
/// </summary>
public sealed class MaskedSoftmaxCELoss : Module
{
    /// <summary>The per-sequence losses: mean over t of CE(pred[n, t], label[n, t])·[t &lt; validLen[n]].</summary>
    public Tensor Forward(Tensor pred, Tensor label, Tensor validLen)
    {
        if (pred.Rank != 3 || label.Rank != 2 || validLen.Rank != 1 || pred.Size(0) != label.Size(0) || pred.Size(1) != label.Size(1) || validLen.Size(0) != label.Size(0))
            throw new ShapeException($"MaskedSoftmaxCELoss: expects pred [N, T, V], label [N, T] and validLen [N], got {pred.Shape}, {label.Shape} and {validLen.Shape}.");
        int n = pred.Size(0), steps = pred.Size(1);
        var unweighted = Functional.CrossEntropy(pred.Reshape(n * steps, -1), label.Reshape(-1), reduction: Reduction.None).Reshape(n, steps);
        var weights = Functional.SequenceMask(Tensor.Ones([n, steps], pred.DType), validLen);
        return (unweighted * weights).Mean(1);
    }
}
