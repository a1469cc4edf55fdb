using Nabla.Jit;
namespace Nabla;

// Gather/scatter, index_select, masks and Where. Indexers (x[0], x[.., 1..^1], x[mask]) are in Indexer.cs.
public partial class Tensor
{
    /// <summary>out[i][j] = this[i][index[i][j]] for dim 1, and likewise for any dim (<c>torch.gather</c>).</summary>
    public Tensor Gather(int dim, Tensor index)
    {
        int d = Shape.NormalizeDim(dim, Rank, "Gather");
        CheckIndexTensor("Gather", index);
        if (index.Rank != Rank)
            throw new ShapeException($"Gather: index of shape {index.Shape} must have as many dims as the input {Shape}.");
        for (int i = 0; i < Rank; i++)
            if (i != d && index.shape[i] > shape[i])
                throw new ShapeException($"Gather: index shape {index.Shape} exceeds input shape {Shape} at dim {i}.");
        var result = GatherRaw(d, index, "Gather");
        if (Tracer.IsActive) Tracer.Record(GraphOps.Gather, result, [this, index], new() { ["dim"] = d });
        if (Node.ShouldRecord(this))
        {
            var inputShape = shape;
            Node.Record(result, "GatherBackward0", [this], g => [Zeros(inputShape, g.DType, device: g.Device).ScatterAdd(d, index, g)]);
        }
        return result;
    }

    Tensor GatherRaw(int d, Tensor index, string op)
    {
        var backend = Backends.Backend.Of(op, this, index);
        var result = backend.Allocate(index.shape, DType, zeroed: false, op);
        var bad = backend.Gather(this, d, index, result);
        if (bad is long k) throw new ShapeException($"{op}: index {k} is out of bounds for dim {d} with size {shape[d]} (shape {Shape}).");
        return result;
    }

    /// <summary>A copy of this tensor with out[index[i][j]][j] = src[i][j] for dim 0, etc. (<c>torch.scatter</c>).</summary>
    public Tensor Scatter(int dim, Tensor index, Tensor source) => ScatterOp("Scatter", dim, index, source, accumulate: false);

    /// <summary>A copy of this tensor with values written at the index positions.</summary>
    public Tensor Scatter(int dim, Tensor index, double value) => Scatter(dim, index, Full(index.shape, value, DType, device: Device));

    /// <summary>A copy of this tensor with src added at the index positions (<c>torch.scatter_add</c>); repeated indices accumulate.</summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor source) => ScatterOp("ScatterAdd", dim, index, source, accumulate: true);

    Tensor ScatterOp(string op, int dim, Tensor index, Tensor source, bool accumulate)
    {
        int d = Shape.NormalizeDim(dim, Rank, op);
        CheckIndexTensor(op, index);
        if (index.Rank != Rank || source.Rank != Rank)
            throw new ShapeException($"{op}: index {index.Shape} and source {source.Shape} must have as many dims as the input {Shape}.");
        for (int i = 0; i < Rank; i++)
            if (index.shape[i] > source.shape[i] || (i != d && index.shape[i] > shape[i]))
                throw new ShapeException($"{op}: index shape {index.Shape} must not exceed the source {source.Shape} nor, outside dim {d}, the input {Shape}.");
        var result = Clone().Detach();
        var values = source.ToDTypeIfNeeded(DType);
        result.ScatterRaw(op, d, index, values, accumulate);
        if (Node.ShouldRecord(this, source))
        {
            Node.Record(result, op + "Backward0", [this, source], g => [
                accumulate ? g : g.Scatter(d, index, 0.0),
                g.Gather(d, index),
            ]);
        }
        return result;
    }

    void ScatterRaw(string op, int d, Tensor index, Tensor values, bool accumulate)
    {
        if (index.Count == 0) return;
        var bad = Backends.Backend.Of(op, this, index, values).Scatter(this, d, index, values, accumulate);
        if (bad is long k) throw new ShapeException($"{op}: index {k} is out of bounds for dim {d} with size {shape[d]} (shape {Shape}).");
        BumpVersion();
    }

    /// <summary>The entries at the given positions along dim (<c>torch.index_select</c>); index is 1-D Int64.</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        int d = Shape.NormalizeDim(dim, Rank, "IndexSelect");
        if (index.DType == DType.Int32) index = index.ToDType(DType.Int64); // PyTorch accepts int32 here
        CheckIndexTensor("IndexSelect", index);
        if (index.Rank > 1) throw new ShapeException($"IndexSelect: index must be 1-D, got shape {index.Shape}.");
        var source = Rank == 0 ? Reshape(1) : this;
        var outShape = (int[])source.shape.Clone();
        outShape[d] = index.Count;
        var backend = Backends.Backend.Of("IndexSelect", source, index);
        var result = backend.Allocate(outShape, DType, zeroed: false, "IndexSelect");
        if (backend.IndexSelect(source, d, index.Contiguous(), result) is long k)
            throw new ShapeException($"IndexSelect: index {k} is out of bounds for dim {d} with size {source.shape[d]} (shape {Shape}).");
        if (Rank == 0) result = result.View();
        if (Tracer.IsActive) Tracer.Record(GraphOps.IndexSelect, result, [this, index], new() { ["dim"] = d });
        if (Node.ShouldRecord(this))
        {
            var inputShape = shape;
            Node.Record(result, "IndexSelectBackward0", [this], g => [Zeros(inputShape, g.DType, device: g.Device).IndexAdd(d, index, g)]);
        }
        return result;
    }

    /// <summary>A copy of this tensor with source's slices added at the given positions along dim (<c>index_add</c>).</summary>
    public Tensor IndexAdd(int dim, Tensor index, Tensor source)
    {
        int d = Shape.NormalizeDim(dim, Rank, "IndexAdd");
        CheckIndexTensor("IndexAdd", index);
        if (index.Rank > 1 || source.Rank != Rank || source.shape[d] != index.Count)
            throw new ShapeException($"IndexAdd: index {index.Shape} must be 1-D with one entry per slice of source {source.Shape} along dim {d} (input {Shape}).");
        var result = Clone().Detach();
        result.ScatterRaw("IndexAdd", d, IndexAlong(index, d, source.shape), source.ToDTypeIfNeeded(DType).Contiguous(), accumulate: true);
        if (Node.ShouldRecord(this, source))
            Node.Record(result, "IndexAddBackward0", [this, source], g => [g, g.IndexSelect(d, index)]);
        return result;
    }

    /// <summary>A 1-D index viewed along dim d and expanded to <paramref name="shape"/> (stride 0 elsewhere).</summary>
    internal static Tensor IndexAlong(Tensor index, int d, int[] shape)
    {
        var strides = new int[shape.Length];
        strides[d] = index.Rank == 0 ? 0 : index.strides[0];
        return new Tensor(index.storage, shape, strides, index.offset);
    }

    static void CheckIndexTensor(string op, Tensor index)
    {
        if (index.DType != DType.Int64)
            throw new DTypeException($"{op}: index must be a Int64 tensor, got {index.DType}.");
    }

    /// <summary>x where condition is true, else y, with broadcasting (<c>torch.where</c>).</summary>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y)
    {
        if (condition.DType != DType.Bool) condition = condition.ToDType(DType.Bool);
        var dtype = DTypes.ResultType(x, y);
        var shape = Shape.Broadcast(Shape.Broadcast(condition.shape, x.shape, "Where"), y.shape, "Where");
        var result = Backends.Backend.Of("Where", condition, x, y).Where(condition, x.ToDTypeIfNeeded(dtype), y.ToDTypeIfNeeded(dtype), shape);
        Tracer.Record(GraphOps.Where, result, [condition, x, y]);
        if (Node.ShouldRecord(x, y))
        {
            bool needX = x.RequiresGrad, needY = y.RequiresGrad;
            Node.Record(result, "WhereBackward0", [x, y], g =>
            {
                var zero = ZerosLike(g);
                return [needX ? Where(condition, g, zero) : null, needY ? Where(condition, zero, g) : null];
            });
        }
        return result;
    }

    /// <summary>x where condition, else a number.</summary>
    public static Tensor Where(Tensor condition, Tensor x, double y) => Where(condition, x, Wrap(y));
    /// <summary>A number where condition, else y.</summary>
    public static Tensor Where(Tensor condition, double x, Tensor y) => Where(condition, Wrap(x), y);

    /// <summary>A copy with <paramref name="value"/> where mask is true (<c>masked_fill</c>); mask broadcasts.</summary>
    public Tensor MaskedFill(Tensor mask, double value)
    {
        if (mask.DType != DType.Bool) throw new DTypeException($"MaskedFill: mask must be Bool, got {mask.DType}.");
        var broadcast = Shape.Broadcast(shape, mask.shape, "MaskedFill");
        if (!broadcast.AsSpan().SequenceEqual(shape))
            throw new ShapeException($"MaskedFill: mask of shape {mask.Shape} cannot be broadcast to the input shape {Shape}.");
        return Where(mask, Scalar(value, DType), this);
    }

    /// <summary>MaskedFill in place.</summary>
    public Tensor MaskedFill_(Tensor mask, double value) => InPlace("MaskedFill_", mask, (self, m) => self.MaskedFill(m, value));

    /// <summary>The elements where mask is true, as a 1-D tensor (<c>masked_select</c>, <c>x[mask]</c>).</summary>
    public Tensor MaskedSelect(Tensor mask)
    {
        if (mask.DType != DType.Bool) throw new DTypeException($"MaskedSelect: mask must be Bool, got {mask.DType}.");
        var shape = Shape.Broadcast(this.shape, mask.shape, "MaskedSelect");
        var flatMask = mask.Expand(shape).ToArray<bool>();
        var positions = new List<long>();
        for (int i = 0; i < flatMask.Length; i++) if (flatMask[i]) positions.Add(i);
        return Expand(shape).Reshape(-1).IndexSelect(0, From(positions.ToArray()));
    }

    /// <summary>Indices of the nonzero elements as an [n, rank] Int64 tensor (<c>nonzero</c>).</summary>
    public Tensor Nonzero()
    {
        var values = ToArray<bool>();
        var rows = new List<long>();
        var contiguous = Shape.ContiguousStrides(shape);
        int count = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (!values[i]) continue;
            count++;
            int rest = i;
            for (int d = 0; d < Rank; d++) { rows.Add(rest / contiguous[d]); rest %= contiguous[d]; }
        }
        return From(rows.ToArray(), count, Rank).To(Device);
    }

    /// <summary>One-hot encoding of an Int64 tensor of class indices (<c>F.one_hot</c>); adds a last dim of size numClasses.</summary>
    public Tensor OneHot(int numClasses = -1)
    {
        CheckIndexTensor("OneHot", this);
        var values = ToArray<long>();
        long max = values.Length == 0 ? -1 : values.Max();
        if (values.Length > 0 && values.Min() < 0) throw new ArgumentException($"OneHot: class values must be non-negative, got {values.Min()}.");
        if (numClasses < 0) numClasses = (int)max + 1;
        else if (max >= numClasses) throw new ArgumentException($"OneHot: class value {max} is out of range for numClasses {numClasses}.");
        return Backends.Backend.Of(this).OneHot(Contiguous(), numClasses);
    }
}
