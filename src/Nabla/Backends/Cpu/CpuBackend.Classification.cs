namespace Nabla.Backends.Cpu;

// The classification entry points: cross-entropy (the fused row kernels of Reduction, rows shared by the worker pool when large) and one-hot.
internal sealed partial class CpuBackend
{
    public long? CrossEntropy(Tensor logits, Tensor labels, long ignoreIndex, Tensor perRow, Tensor logSumExp, out int kept)
    {
        int rows = logits.shape[0], classes = logits.shape[1];
        // The targets are checked (and the kept rows counted) first, so the rows can then be shared by the worker pool.
        var targets = labels.HostSpan<long>();
        kept = 0;
        foreach (long t in targets)
        {
            if (t == ignoreIndex) continue;
            if ((ulong)t >= (ulong)classes) return t;
            kept++;
        }
        ForRows(rows, classes, (start, end) =>
        {
            int first = start * classes, length = (end - start) * classes;
            if (logits.DType == DType.Float32)
                Reduction.CrossEntropy(logits.HostSpan<float>().Slice(first, length), labels.HostSpan<long>()[start..end], classes, ignoreIndex,
                    perRow.HostSpan<float>()[start..end], logSumExp.HostSpan<float>()[start..end], out _);
            else
                Reduction.CrossEntropy(logits.HostSpan<double>().Slice(first, length), labels.HostSpan<long>()[start..end], classes, ignoreIndex,
                    perRow.HostSpan<double>()[start..end], logSumExp.HostSpan<double>()[start..end], out _);
        });
        return null;
    }

    public Tensor CrossEntropyBackward(Tensor logits, Tensor labels, Tensor logSumExp, long ignoreIndex, Tensor? rowScale, double scale)
    {
        int classes = logits.shape[1];
        var grad = Allocate(logits.shape, logits.DType, zeroed: false, "CrossEntropyBackward");
        if (grad.Count == 0) return grad;
        ForRows(logits.shape[0], classes, (start, end) =>
        {
            int first = start * classes, length = (end - start) * classes;
            if (logits.DType == DType.Float32)
            {
                float single = (float)scale;
                var s = rowScale is not null ? rowScale.HostSpan<float>()[start..end] : new ReadOnlySpan<float>(ref single);
                Reduction.CrossEntropyBackward(logits.HostSpan<float>().Slice(first, length), labels.HostSpan<long>()[start..end], logSumExp.HostSpan<float>()[start..end],
                    classes, ignoreIndex, s, grad.HostSpan<float>().Slice(first, length));
            }
            else
            {
                double value = scale;
                var s = rowScale is not null ? rowScale.HostSpan<double>()[start..end] : new ReadOnlySpan<double>(ref value);
                Reduction.CrossEntropyBackward(logits.HostSpan<double>().Slice(first, length), labels.HostSpan<long>()[start..end], logSumExp.HostSpan<double>()[start..end],
                    classes, ignoreIndex, s, grad.HostSpan<double>().Slice(first, length));
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

    public Tensor OneHot(Tensor values, int numClasses)
    {
        var result = Allocate([.. values.shape, numClasses], DType.Int64, zeroed: true, "OneHot");
        var classes = values.HostSpan<long>();
        var ones = result.HostSpan<long>();
        for (int i = 0; i < classes.Length; i++) ones[i * numClasses + (int)classes[i]] = 1;
        return result;
    }
}
