using Nabla.Backends;

namespace Nabla;

// Cross-entropy of logits [N, C] against class indices [N] with no class weights and no label
// smoothing (how every classifier of the course trains) as one op: the log-sum-exp and the picked
// logit of each row forward, s · (softmax − one-hot) backward. The composition it replaces
// (LogSoftmax, then NllLoss's Eq, MaskedFill, Gather, casts and sums; Functional.Loss.cs) makes about
// ten tensors forward and as many back, all on one thread, a visible share of the character language
// model's step (bench lstm; figures in bench/README.md). When the backward is itself recorded (createGraph) the
// gradient is written in tensor ops, so higher derivatives still work.
public partial class Tensor
{
    /// <summary>
    /// F.cross_entropy(logits, target, ignore_index, reduction) for a [N, C] float input and an Int64 [N]
    /// target, shapes already checked: the mean divides by the rows whose target is not
    /// <paramref name="ignoreIndex"/> (NaN when there are none, as PyTorch).
    /// </summary>
    internal static Tensor SoftmaxCrossEntropy(Tensor logits, Tensor target, long ignoreIndex, NN.Reduction reduction)
    {
        const string op = "CrossEntropy";
        var x = logits.Contiguous();
        var labels = target.Contiguous();
        int rows = x.shape[0], classes = x.shape[1];
        if (classes == 0 && rows > 0) throw new ShapeException($"{op}: input of shape {logits.Shape} has no classes.");
        var backend = Backend.Of(op, x, labels);
        var logSumExp = backend.Allocate([rows], x.DType, zeroed: false, op);
        var perRow = backend.Allocate([rows], x.DType, zeroed: false, op);
        if (backend.CrossEntropy(x, labels, ignoreIndex, perRow, logSumExp, out int kept) is long bad)
            throw new ShapeException($"{op}: target {bad} is out of bounds for {classes} classes (input shape {logits.Shape}, ignoreIndex {ignoreIndex}).");

        var result = reduction switch
        {
            NN.Reduction.None => perRow,
            NN.Reduction.Sum => perRow.Sum(),
            _ => perRow.Sum() / kept,
        };
        if (Node.ShouldRecord(logits))
            Node.Record(result, "CrossEntropyBackward", [logits],
                g => [GradMode.IsEnabled ? CrossEntropyComposite(g, logits, labels, ignoreIndex, reduction, kept)
                    : CrossEntropyFused(g, x, labels, logSumExp, ignoreIndex, reduction, kept)], x);
        return result;
    }

    static Tensor CrossEntropyFused(Tensor g, Tensor x, Tensor labels, Tensor logSumExp, long ignoreIndex, NN.Reduction reduction, int kept)
    {
        // The scale of each row: d loss / d loss_r, one value unless the losses were not reduced.
        var scale = reduction == NN.Reduction.None ? g.ToDType(x.DType).Contiguous()
            : reduction == NN.Reduction.Sum ? g.ToDType(x.DType) : g.ToDType(x.DType) / kept;
        bool perRow = reduction == NN.Reduction.None;
        double one = perRow || x.Count == 0 ? 0 : scale.ToDType(DType.Float64).Item<double>();
        return Backend.Of("CrossEntropyBackward", x, labels).CrossEntropyBackward(x, labels, logSumExp, ignoreIndex, perRow ? scale : null, one);
    }

    /// <summary>The same gradient in differentiable tensor ops (of the logits and of g).</summary>
    static Tensor CrossEntropyComposite(Tensor g, Tensor logits, Tensor labels, long ignoreIndex, NN.Reduction reduction, int kept)
    {
        var ignored = labels.Eq(ignoreIndex);
        var oneHot = labels.MaskedFill(ignored, 0).OneHot(logits.shape[1]).To(logits.DType);
        var delta = (logits.Softmax(1) - oneHot) * ignored.LogicalNot().To(logits.DType).Unsqueeze(1);
        return reduction switch
        {
            NN.Reduction.None => delta * g.Unsqueeze(1),
            NN.Reduction.Sum => delta * g,
            _ => delta * (g / kept),
        };
    }
}
