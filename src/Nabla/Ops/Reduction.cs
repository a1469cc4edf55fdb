using Nabla.Jit;

namespace Nabla;

// Reductions: Sum, Mean, Prod, Max/Min, ArgMax/ArgMin, Var/Std, Norm, LogSumExp, CumSum.
// Softmax and LogSoftmax are in Softmax.cs.
public partial class Tensor
{
    /// <summary>Which dims a reduction removes: all when <paramref name="dims"/> is null or empty.</summary>
    bool[] ReducedDims(int[]? dims, string op)
    {
        var reduced = new bool[Rank];
        if (dims == null || dims.Length == 0) { Array.Fill(reduced, true); return reduced; }
        foreach (int dim in dims)
        {
            int d = Shape.NormalizeDim(dim, Rank, op);
            if (Rank > 0 && reduced[d]) throw new ShapeException($"{op}: dim {d} appears more than once in {Shape.Format(dims)}.");
            if (Rank > 0) reduced[d] = true;
        }
        return reduced;
    }

    int[] ReducedShape(bool[] reduced, bool keepDim)
    {
        var result = new List<int>(Rank);
        for (int i = 0; i < Rank; i++)
            if (!reduced[i]) result.Add(shape[i]);
            else if (keepDim) result.Add(1);
        return [.. result];
    }

    /// <summary>
    /// Lays the data out as contiguous [outer, reduce, inner]: in place when the reduced dims are one
    /// consecutive block of a contiguous tensor, else by moving them last and copying (inner = 1).
    /// </summary>
    (Tensor Source, int Outer, int Reduce, int Inner) Arrange(bool[] reduced, bool allowInner)
    {
        int first = Array.IndexOf(reduced, true), last = Array.LastIndexOf(reduced, true);
        if (first < 0) return (Contiguous(), Count, 1, 1);
        bool block = true;
        for (int i = first; i <= last; i++) block &= reduced[i];
        long Product(int from, int to) { long p = 1; for (int i = from; i < to; i++) p *= shape[i]; return p; }
        if (block && IsContiguous && (allowInner || last == Rank - 1))
            return (this, (int)Product(0, first), (int)Product(first, last + 1), (int)Product(last + 1, Rank));
        var order = Enumerable.Range(0, Rank).Where(i => !reduced[i]).Concat(Enumerable.Range(0, Rank).Where(i => reduced[i])).ToArray();
        var moved = Permute(order).Detach().Contiguous();
        long kept = 1;
        for (int i = 0; i < Rank; i++) if (!reduced[i]) kept *= shape[i];
        return (moved, (int)kept, (int)(kept == 0 ? 0 : Count / Math.Max(kept, 1)), 1);
    }

    /// <summary>Sum of all elements, or over <paramref name="dims"/> (<c>torch.sum</c>). Integer and bool sums are Int64.</summary>
    public Tensor Sum(int[]? dims = null, bool keepDim = false, DType? dtype = null)
    {
        var reduced = ReducedDims(dims, "Sum");
        var outType = dtype ?? (DType.IsFloatingPoint() ? DType : DType.Int64);
        var source = ToDTypeIfNeeded(outType);
        var (data, outer, reduce, inner) = source.Arrange(reduced, allowInner: true);
        if (outType is not (DType.Float32 or DType.Float64 or DType.Int64 or DType.Int32))
            throw new DTypeException($"Sum: cannot accumulate in {outType}.");
        var result = Backends.Backend.Of(data).Sum(data, outer, reduce, inner, ReducedShape(reduced, keepDim));
        if (Node.ShouldRecord(this))
        {
            var inputShape = shape;
            Node.Record(result, "SumBackward1", [this], g => [ExpandReduced(g, reduced, keepDim, inputShape)]);
        }
        if (Tracer.IsActive) Tracer.Record(GraphOps.Sum, result, [this], new() { ["dims"] = Enumerable.Range(0, Rank).Where(i => reduced[i]).ToArray(), ["keep_dim"] = keepDim });
        return result;
    }

    /// <summary>Sum over one dim.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    /// <summary>Brings a reduced gradient back to the input's shape: re-insert the reduced dims, then broadcast.</summary>
    static Tensor ExpandReduced(Tensor g, bool[] reduced, bool keepDim, int[] inputShape)
    {
        if (!keepDim)
        {
            var kept = new int[inputShape.Length];
            for (int i = 0; i < kept.Length; i++) kept[i] = reduced[i] ? 1 : inputShape[i];
            g = g.Reshape(kept);
        }
        return g.Expand(inputShape);
    }

    /// <summary>Sums a broadcast result back to <paramref name="target"/>: over leading extra dims and dims where the target has size 1.</summary>
    internal Tensor SumToShape(int[] target)
    {
        int lead = Rank - target.Length;
        var dims = new List<int>();
        for (int i = 0; i < Rank; i++)
            if (i < lead || (target[i - lead] == 1 && shape[i] != 1)) dims.Add(i);
        var summed = dims.Count == 0 ? this : Sum([.. dims], keepDim: true);
        return summed.Reshape(target);
    }

    /// <summary>Mean of all elements, or over <paramref name="dims"/> (<c>torch.mean</c>); floating types only.</summary>
    public Tensor Mean(int[]? dims = null, bool keepDim = false)
    {
        if (!DType.IsFloatingPoint())
            throw new DTypeException($"Mean: expects a floating-point tensor, got {DType}; convert with Float() first.");
        var reduced = ReducedDims(dims, "Mean");
        long count = 1;
        for (int i = 0; i < Rank; i++) if (reduced[i]) count *= shape[i];
        return Sum(dims, keepDim) / (double)count;
    }

    /// <summary>Mean over one dim.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Product of all elements, or over one dim (<c>torch.prod</c>).</summary>
    public Tensor Prod(int? dim = null, bool keepDim = false)
    {
        var reduced = ReducedDims(dim is int d ? [d] : null, "Prod");
        var outType = DType.IsFloatingPoint() ? DType : DType.Int64;
        var (data, outer, reduce, _) = ToDTypeIfNeeded(outType).Arrange(reduced, allowInner: false);
        var result = Backends.Backend.Of(data).Prod(data, outer, reduce, ReducedShape(reduced, keepDim));
        if (Node.ShouldRecord(this))
        {
            var x = this;
            Node.Record(result, "ProdBackward0", [x], g =>
            {
                var inputShape = x.shape;
                var gFull = ExpandReduced(g, reduced, keepDim, inputShape);
                var resultFull = ExpandReduced(result, reduced, keepDim, inputShape);
                // ∂Π/∂xᵢ = Π_{j≠i} xⱼ: result/xᵢ where xᵢ ≠ 0; where xᵢ = 0 it is the product of the
                // other (nonzero) entries if xᵢ is the only zero, else 0.
                var isZero = x.Eq(0);
                var nonzeroProduct = ExpandReduced(Where(isZero, OnesLike(x), x).Prod(dim, keepDim), reduced, keepDim, inputShape);
                var zeroCount = ExpandReduced(isZero.To(x.DType).Sum(dim is int dd ? [dd] : null, keepDim), reduced, keepDim, inputShape);
                var atZero = nonzeroProduct * zeroCount.Eq(1).To(x.DType);
                return [gFull * Where(isZero, atZero, resultFull / Where(isZero, OnesLike(x), x))];
            }, x, result);
        }
        return result;
    }

    /// <summary>Largest element (<c>torch.max(x)</c>); the gradient is shared evenly among ties.</summary>
    public Tensor Max() => FullExtremum(max: true);

    /// <summary>Smallest element (<c>torch.min(x)</c>).</summary>
    public Tensor Min() => FullExtremum(max: false);

    Tensor FullExtremum(bool max)
    {
        string op = max ? "Max" : "Min";
        if (NumElements == 0) throw new ShapeException($"{op}: the tensor is empty (shape {Shape}); specify a dim or give a non-empty tensor.");
        var (values, _) = Extremum(Rank == 0 ? 0 : -1, keepDim: false, max, flatten: true);
        var result = values.Detach();
        if (Node.ShouldRecord(this))
        {
            var x = this;
            Node.Record(result, op + "Backward1", [x], g =>
            {
                var mask = x.Eq(result).To(g.DType);
                return [mask * (g / mask.Sum())];
            }, x, result);
        }
        return result;
    }

    /// <summary>Largest values along dim and their indices (<c>torch.max(x, dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => Extremum(dim, keepDim, max: true, flatten: false);

    /// <summary>Smallest values along dim and their indices (<c>torch.min(x, dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => Extremum(dim, keepDim, max: false, flatten: false);

    /// <summary>Index of the largest element of the flattened tensor, or along dim (<c>argmax</c>).</summary>
    public Tensor ArgMax(int? dim = null, bool keepDim = false) =>
        dim is int d ? Extremum(d, keepDim, max: true, flatten: false).Indices : Reshape(-1).Extremum(0, false, max: true, flatten: false).Indices;

    /// <summary>Index of the smallest element of the flattened tensor, or along dim (<c>argmin</c>).</summary>
    public Tensor ArgMin(int? dim = null, bool keepDim = false) =>
        dim is int d ? Extremum(d, keepDim, max: false, flatten: false).Indices : Reshape(-1).Extremum(0, false, max: false, flatten: false).Indices;

    (Tensor Values, Tensor Indices) Extremum(int dim, bool keepDim, bool max, bool flatten)
    {
        string op = max ? "Max" : "Min";
        var source = flatten ? Detach().Reshape(-1) : this;
        var reduced = source.ReducedDims([dim], op);
        int d = Array.IndexOf(reduced, true);
        if (d >= 0 && source.shape[d] == 0)
            throw new ShapeException($"{op}: cannot reduce over dim {d} of size 0 (shape {source.Shape}).");
        var (data, outer, reduce, _) = source.Arrange(reduced, allowInner: false);
        var outShape = source.ReducedShape(reduced, keepDim);
        var indices = Backends.Backend.Of(data).ArgExtremum(data.DType == DType.Bool ? data.ToDType(DType.Int32) : data, outer, reduce, outShape, max);
        if (Jit.Tracer.IsActive && !flatten && d >= 0)
            Jit.Tracer.Record(max ? Jit.GraphOps.ArgMax : Jit.GraphOps.ArgMin, indices, [source], new() { ["dim"] = d, ["keep_dim"] = keepDim });
        if (flatten) return (source.IndexSelect(0, indices.Reshape(1)).Reshape([]), indices);
        var keptIndices = keepDim || Rank == 0 ? indices : indices.Unsqueeze(d);
        var values = source.Rank == 0 ? source.Clone() : source.Gather(d, keptIndices);
        if (!keepDim && source.Rank > 0) values = values.Squeeze(d);
        return (values, indices);
    }

    /// <summary>Variance over dims (<c>torch.var</c>); unbiased divides by N − 1 (Bessel's correction).</summary>
    public Tensor Var(int[]? dims = null, bool unbiased = true, bool keepDim = false)
    {
        var reduced = ReducedDims(dims, "Var");
        long count = 1;
        for (int i = 0; i < Rank; i++) if (reduced[i]) count *= shape[i];
        var centered = this - Mean(dims, keepDim: true);
        long degreesOfFreedom = count - (unbiased ? 1 : 0);
        if (degreesOfFreedom > 0 || Rank > 0) return (centered * centered).Sum(dims, keepDim) / (double)Math.Max(degreesOfFreedom, 0);
        // A 0-dim input with Bessel's correction: the variance is undefined (NaN) and PyTorch 1.13's
        // gradient is ±∞ (over a dim, N ≤ correction gives NaN gradients, which the formula above yields).
        Tensor result;
        using (GradMode.Set(false)) result = (centered * centered).Sum(dims, keepDim) / 0.0;
        if (Node.ShouldRecord(this))
        {
            var inputShape = shape;
            Node.Record(result, "VarBackward0", [this], g => [ExpandReduced(g * double.PositiveInfinity, ReducedDims(dims, "Var"), keepDim, inputShape)]);
        }
        return result;
    }

    /// <summary>Variance over one dim.</summary>
    public Tensor Var(int dim, bool unbiased = true, bool keepDim = false) => Var([dim], unbiased, keepDim);

    /// <summary>Standard deviation over dims (<c>torch.std</c>).</summary>
    public Tensor Std(int[]? dims = null, bool unbiased = true, bool keepDim = false)
    {
        var variance = Var(dims, unbiased, keepDim);
        Tensor result;
        using (GradMode.Set(false)) result = variance.Sqrt();
        // d√v/dv = 1/(2√v), taken as 0 where the deviation is 0 (constant inputs), as PyTorch does.
        if (Node.ShouldRecord(variance))
            Node.Record(result, "StdBackward0", [variance], g => [Where(result.Eq(0), ZerosLike(g), g / (result * 2))], result);
        return result;
    }

    /// <summary>Standard deviation over one dim.</summary>
    public Tensor Std(int dim, bool unbiased = true, bool keepDim = false) => Std([dim], unbiased, keepDim);

    /// <summary>
    /// Vector p-norm over dims (all elements by default): p = 1, 2, any p &gt; 0,
    /// <see cref="double.PositiveInfinity"/> (max |x|). The Frobenius norm is p = 2 over two dims.
    /// </summary>
    public Tensor Norm(double p = 2, int[]? dims = null, bool keepDim = false)
    {
        if (double.IsPositiveInfinity(p)) return AbsMax(dims, keepDim);
        if (p == 1) return Abs().Sum(dims, keepDim);
        if (p == 2)
        {
            var result = (this * this).Sum(dims, keepDim).Sqrt();
            return result;
        }
        if (p <= 0) throw new ArgumentException($"Norm: p must be positive or infinity, got {p}.");
        return Abs().Pow(p).Sum(dims, keepDim).Pow(1 / p);
    }

    /// <summary>The Frobenius norm (<c>norm(p='fro')</c>): √Σx² over dims (all by default).</summary>
    public Tensor FrobeniusNorm(int[]? dims = null, bool keepDim = false) => Norm(2, dims, keepDim);

    Tensor AbsMax(int[]? dims, bool keepDim)
    {
        if (NumElements == 0) return Sum(dims, keepDim) * 0; // max of nothing is 0 for a norm; kept in the graph
        var abs = Abs();
        if (dims == null || dims.Length == 0) return keepDim ? abs.Max().Reshape([.. Enumerable.Repeat(1, Rank)]) : abs.Max();
        var result = abs;
        foreach (int d in dims.Select(d => Shape.NormalizeDim(d, Rank, "Norm")).OrderDescending())
            result = result.Max(d, keepDim: true).Values;
        if (!keepDim) foreach (int d in dims.Select(d => Shape.NormalizeDim(d, Rank, "Norm")).OrderDescending()) result = result.Squeeze(d);
        return result;
    }

    /// <summary>ln Σ eˣ over dims, computed stably as m + ln Σ e^(x − m) with m the (detached) maximum.</summary>
    public Tensor LogSumExp(int[] dims, bool keepDim = false)
    {
        var reduced = ReducedDims(dims, "LogSumExp");
        if (NumElements == 0) return Sum(dims, keepDim) + double.NegativeInfinity; // ln Σ∅ = ln 0 = −∞, kept in the graph
        Tensor max;
        using (GradMode.Set(false))
        {
            max = Detach();
            for (int d = Rank - 1; d >= 0; d--) if (reduced[d]) max = max.Max(d, keepDim: true).Values;
            max = Where(max.IsFinite(), max, ZerosLike(max));
        }
        var result = (this - max).Exp().Sum(dims, keepDim: true).Log() + max;
        if (!keepDim) for (int d = Rank - 1; d >= 0; d--) if (reduced[d]) result = result.Squeeze(d);
        return result;
    }

    /// <summary>LogSumExp over one dim.</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false) => LogSumExp([dim], keepDim);

    /// <summary>Running sum along dim (<c>torch.cumsum</c>); integers accumulate in Int64.</summary>
    public Tensor CumSum(int dim)
    {
        int d = Shape.NormalizeDim(dim, Rank, "CumSum");
        var outType = DType.IsFloatingPoint() ? DType : DType.Int64;
        var source = ToDTypeIfNeeded(outType).Contiguous();
        int outer = 1, inner = 1, n = Rank == 0 ? 1 : shape[d];
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < Rank; i++) inner *= shape[i];
        var result = Backends.Backend.Of(source).CumSum(source, outer, n, inner);
        // d(cumsum)ᵀ·g is the reversed cumulative sum of g.
        if (Node.ShouldRecord(this)) Node.Record(result, "CumsumBackward0", [this], g => [g.Flip(d).CumSum(d).Flip(d)]);
        return result;
    }

    /// <summary>Reverses the order of elements along the given dims (<c>torch.flip</c>); a copy.</summary>
    public Tensor Flip(params int[] dims)
    {
        var result = this;
        foreach (int dim in dims)
        {
            int d = Shape.NormalizeDim(dim, Rank, "Flip");
            result = result.IndexSelect(d, Arange(shape[d] - 1, -1, -1).To(Device));
        }
        return result;
    }
}
