using Nabla.Backends.Cpu;

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
        var logSumExp = Uninitialized([rows], x.DType, op);
        var perRow = Uninitialized([rows], x.DType, op);
        // The targets are checked (and the kept rows counted) first, so the rows can then be shared by the worker pool.
        var targets = labels.Span<long>();
        int kept = 0;
        foreach (long t in targets)
        {
            if (t == ignoreIndex) continue;
            if ((ulong)t >= (ulong)classes)
                throw new ShapeException($"{op}: target {t} is out of bounds for {classes} classes (input shape {logits.Shape}, ignoreIndex {ignoreIndex}).");
            kept++;
        }
        ForRows(rows, classes, (start, end) =>
        {
            int first = start * classes, length = (end - start) * classes;
            if (x.DType == DType.Float32)
                Reduction.CrossEntropy(x.Span<float>().Slice(first, length), labels.Span<long>()[start..end], classes, ignoreIndex,
                    perRow.Span<float>()[start..end], logSumExp.Span<float>()[start..end], out _);
            else
                Reduction.CrossEntropy(x.Span<double>().Slice(first, length), labels.Span<long>()[start..end], classes, ignoreIndex,
                    perRow.Span<double>()[start..end], logSumExp.Span<double>()[start..end], out _);
        });

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
        int classes = x.shape[1];
        var grad = Uninitialized(x.shape, x.DType, "CrossEntropyBackward");
        if (grad.Count == 0) return grad;
        // The scale of each row: d loss / d loss_r, one value unless the losses were not reduced.
        var scale = reduction == NN.Reduction.None ? g.ToDType(x.DType).Contiguous()
            : reduction == NN.Reduction.Sum ? g.ToDType(x.DType) : g.ToDType(x.DType) / kept;
        bool perRow = reduction == NN.Reduction.None;
        double one = perRow ? 0 : scale.ToDType(DType.Float64).Item<double>();
        ForRows(x.shape[0], classes, (start, end) =>
        {
            int first = start * classes, length = (end - start) * classes;
            if (x.DType == DType.Float32)
            {
                float single = (float)one;
                var s = perRow ? scale.Span<float>()[start..end] : new ReadOnlySpan<float>(ref single);
                Reduction.CrossEntropyBackward(x.Span<float>().Slice(first, length), labels.Span<long>()[start..end], logSumExp.Span<float>()[start..end],
                    classes, ignoreIndex, s, grad.Span<float>().Slice(first, length));
            }
            else
            {
                double value = one;
                var s = perRow ? scale.Span<double>()[start..end] : new ReadOnlySpan<double>(ref value);
                Reduction.CrossEntropyBackward(x.Span<double>().Slice(first, length), labels.Span<long>()[start..end], logSumExp.Span<double>()[start..end],
                    classes, ignoreIndex, s, grad.Span<double>().Slice(first, length));
            }
        });
        return grad;
    }

    /// <summary>Runs <paramref name="body"/> over row ranges of a [rows, classes] problem, shared by the worker pool when large.</summary>
    static void ForRows(int rows, int classes, Action<int, int> body)
    {
        if ((long)rows * classes < ParallelElements) body(0, rows);
        else WorkerPool.For(rows, Math.Max(1, ChunkElements / Math.Max(1, classes)), body);
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
