namespace Nabla.Backends.Reference;

// Cross-entropy from its definition, −log_softmax(x)[t] per row, in double; one-hot element by element.
internal sealed partial class ReferenceBackend
{
    public long? CrossEntropy(Tensor logits, Tensor labels, long ignoreIndex, Tensor perRow, Tensor logSumExp, out int kept)
    {
        int rows = logits.shape[0], classes = logits.shape[1];
        var targets = labels.HostData<long>();
        kept = 0;
        for (int r = 0; r < rows; r++)
        {
            long t = targets[labels.offset + r];
            if (t == ignoreIndex) continue;
            if (t < 0 || t >= classes) return t;
            kept++;
        }
        for (int r = 0; r < rows; r++)
        {
            double lse = RowLogSumExp(logits, r, classes);
            long t = targets[labels.offset + r];
            WriteDouble(logSumExp.storage.Data, logSumExp.offset + r, lse);
            WriteDouble(perRow.storage.Data, perRow.offset + r, t == ignoreIndex ? 0 : lse - ReadDouble(logits.storage.Data, logits.offset + r * classes + (int)t));
        }
        return null;
    }

    public Tensor CrossEntropyBackward(Tensor logits, Tensor labels, Tensor logSumExp, long ignoreIndex, Tensor? rowScale, double scale)
    {
        int rows = logits.shape[0], classes = logits.shape[1];
        var grad = Allocate(logits.shape, logits.DType, zeroed: false, "CrossEntropyBackward");
        var targets = labels.HostData<long>();
        for (int r = 0; r < rows; r++)
        {
            long t = targets[labels.offset + r];
            double s = rowScale is null ? scale : ReadDouble(rowScale.storage.Data, rowScale.offset + r);
            // The log-sum-exp recomputed in double rather than read back rounded from the forward.
            double lse = RowLogSumExp(logits, r, classes);
            for (int c = 0; c < classes; c++)
            {
                double softmax = Math.Exp(ReadDouble(logits.storage.Data, logits.offset + r * classes + c) - lse);
                WriteDouble(grad.storage.Data, r * classes + c, t == ignoreIndex ? 0 : s * (softmax - (c == t ? 1 : 0)));
            }
        }
        return grad;
    }

    /// <summary>ln Σ e^(x[r, c]) over the row, shifted by its max (0 for an all −∞ row).</summary>
    static double RowLogSumExp(Tensor logits, int r, int classes)
    {
        double max = double.NegativeInfinity, sum = 0;
        for (int c = 0; c < classes; c++) max = Math.Max(max, ReadDouble(logits.storage.Data, logits.offset + r * classes + c));
        if (double.IsNegativeInfinity(max)) max = 0;
        for (int c = 0; c < classes; c++) sum += Math.Exp(ReadDouble(logits.storage.Data, logits.offset + r * classes + c) - max);
        return max + Math.Log(sum);
    }

    public Tensor OneHot(Tensor values, int numClasses)
    {
        var result = Allocate([.. values.shape, numClasses], DType.Int64, zeroed: false, "OneHot");
        var classes = values.HostData<long>();
        for (int i = 0; i < values.Count; i++)
            for (int c = 0; c < numClasses; c++) WriteLong(result.storage.Data, i * numClasses + c, classes[values.offset + i] == c ? 1 : 0);
        return result;
    }
}
