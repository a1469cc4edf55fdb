namespace Nabla.Onnx;

// Reductions. The axes are an attribute up to opset 17 (ReduceSum: up to 12), an optional input after;
// no axes reduce over all of them unless noop_with_empty_axes says to pass the input through.
internal static partial class OnnxOperators
{
    static void AddReductions(Dictionary<string, Operator> table)
    {
        table["ReduceMean"] = n => One(Reduce(n, 18, static (x, dims) => x.Mean(dims, keepDim: true)));
        table["ReduceSum"] = n => One(Reduce(n, 13, static (x, dims) => x.Sum(dims, keepDim: true)));
        table["ReduceSumSquare"] = n => One(Reduce(n, 18, static (x, dims) => x.Square().Sum(dims, keepDim: true)));
        table["ReduceL1"] = n => One(Reduce(n, 18, static (x, dims) => x.Abs().Sum(dims, keepDim: true)));
        table["ReduceL2"] = n => One(Reduce(n, 18, static (x, dims) => x.Square().Sum(dims, keepDim: true).Sqrt()));
        table["ReduceLogSumExp"] = n => One(Reduce(n, 18, static (x, dims) => x.LogSumExp(dims, keepDim: true)));
        table["ReduceLogSum"] = n => One(Reduce(n, 18, static (x, dims) => x.Sum(dims, keepDim: true).Log()));
        table["ReduceMax"] = n => One(Reduce(n, 18, static (x, dims) => Sequential(x, dims, static (t, d) => t.Max(d, keepDim: true).Values)));
        table["ReduceMin"] = n => One(Reduce(n, 18, static (x, dims) => Sequential(x, dims, static (t, d) => t.Min(d, keepDim: true).Values)));
        table["ReduceProd"] = n => One(Reduce(n, 18, static (x, dims) => Sequential(x, dims, static (t, d) => t.Prod(d, keepDim: true))));
        table["ArgMax"] = n => One(ArgExtremum(n, static (x, d) => x.ArgMax(d, keepDim: true)));
        table["ArgMin"] = n => One(ArgExtremum(n, static (x, d) => x.ArgMin(d, keepDim: true)));
    }

    static Tensor Sequential(Tensor x, int[] dims, Func<Tensor, int, Tensor> reduce)
    {
        foreach (int d in dims) x = reduce(x, d);
        return x;
    }

    /// <summary>Reduces over the node's axes with the dimensions kept, then drops them unless keepdims.</summary>
    static Tensor Reduce(OnnxNode n, int axesBecomeInputAt, Func<Tensor, int[], Tensor> reduce)
    {
        var x = n.Input(0);
        var axes = n.Opset < axesBecomeInputAt ? n.Ints("axes") : n.OptionalInput(1)?.ToArray<long>();
        if (axes is null || axes.Length == 0)
        {
            if (n.Int("noop_with_empty_axes", 0) != 0) return x;
            axes = Enumerable.Range(0, x.Rank).Select(a => (long)a).ToArray();
        }
        var dims = axes.Select(a => n.Axis(a, x.Rank)).Distinct().Order().ToArray();
        if (dims.Length == 0) return reduce(x.Reshape(1), [0]).Reshape([]);
        var y = reduce(x, dims);
        if (n.Int("keepdims", 1) != 0) return y;
        foreach (int d in dims.Reverse()) y = y.Squeeze(d);
        return y;
    }

    static Tensor ArgExtremum(OnnxNode n, Func<Tensor, int, Tensor> pick)
    {
        var x = n.Input(0);
        int axis = n.Axis(n.Int("axis", 0), x.Rank);
        // The last of equal extremes: the first one along the flipped axis, counted back from the end.
        var y = n.Int("select_last_index", 0) != 0 ? (x.Size(axis) - 1) - pick(x.Flip(axis), axis) : pick(x, axis);
        return n.Int("keepdims", 1) != 0 ? y : y.Squeeze(axis);
    }
}
