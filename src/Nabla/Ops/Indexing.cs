using System.Runtime.CompilerServices;
using Nabla.Backends.Cpu;

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
        if (Node.ShouldRecord(this))
        {
            var inputShape = shape;
            Node.Record(result, "GatherBackward0", [this], g => [Zeros(inputShape, g.DType).ScatterAdd(d, index, g)]);
        }
        return result;
    }

    Tensor GatherRaw(int d, Tensor index, string op)
    {
        var result = Uninitialized(index.shape, DType, op);
        if (result.Count == 0) return result;
        var sourceStrides = (int[])strides.Clone();
        sourceStrides[d] = 0;
        var layout = new RowLayout(index.shape, [0, index.offset, offset], result.strides, index.strides, sourceStrides);
        var bad = storage.Data switch
        {
            float[] s => Indexing.Gather(layout, result.Data<float>(), index.Data<long>(), s, strides[d], shape[d]),
            double[] s => Indexing.Gather(layout, result.Data<double>(), index.Data<long>(), s, strides[d], shape[d]),
            long[] s => Indexing.Gather(layout, result.Data<long>(), index.Data<long>(), s, strides[d], shape[d]),
            int[] s => Indexing.Gather(layout, result.Data<int>(), index.Data<long>(), s, strides[d], shape[d]),
            byte[] s => Indexing.Gather(layout, result.Data<byte>(), index.Data<long>(), s, strides[d], shape[d]),
            bool[] s => Indexing.Gather(layout, result.Data<bool>(), index.Data<long>(), s, strides[d], shape[d]),
            _ => null,
        };
        if (bad is long k) throw new ShapeException($"{op}: index {k} is out of bounds for dim {d} with size {shape[d]} (shape {Shape}).");
        return result;
    }

    /// <summary>A copy of this tensor with out[index[i][j]][j] = src[i][j] for dim 0, etc. (<c>torch.scatter</c>).</summary>
    public Tensor Scatter(int dim, Tensor index, Tensor source) => ScatterOp("Scatter", dim, index, source, accumulate: false);

    /// <summary>A copy of this tensor with values written at the index positions.</summary>
    public Tensor Scatter(int dim, Tensor index, double value) => Scatter(dim, index, Full(index.shape, value, DType));

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
        var targetStrides = (int[])strides.Clone();
        targetStrides[d] = 0;
        var layout = new RowLayout(index.shape, [values.offset, index.offset, offset], values.strides, index.strides, targetStrides);
        var idx = index.Data<long>();
        var bad = storage.Data switch
        {
            float[] t => Indexing.Scatter(layout, values.Data<float>(), idx, t, strides[d], shape[d], accumulate),
            double[] t => Indexing.Scatter(layout, values.Data<double>(), idx, t, strides[d], shape[d], accumulate),
            long[] t => Indexing.Scatter(layout, values.Data<long>(), idx, t, strides[d], shape[d], accumulate),
            int[] t => Indexing.Scatter(layout, values.Data<int>(), idx, t, strides[d], shape[d], accumulate),
            byte[] t => Indexing.Scatter(layout, values.Data<byte>(), idx, t, strides[d], shape[d], accumulate),
            bool[] t => Indexing.Scatter(layout, Unsafe.As<byte[]>(values.Data<bool>()), idx, Unsafe.As<byte[]>(t), strides[d], shape[d], accumulate),
            _ => null,
        };
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
        int sliceLength = 1; // elements after dim d: one selected slice is this many contiguous elements per outer index
        for (int i = d + 1; i < source.Rank; i++) sliceLength *= source.shape[i];
        var result = source.IsContiguous && sliceLength >= 16
            ? source.SelectSlices(d, index, outShape, sliceLength)
            : source.GatherRaw(d, IndexAlong(index, d, outShape), "IndexSelect");
        if (Rank == 0) result = result.View();
        if (Node.ShouldRecord(this))
        {
            var inputShape = shape;
            Node.Record(result, "IndexSelectBackward0", [this], g => [Zeros(inputShape, g.DType).IndexAdd(d, index, g)]);
        }
        return result;
    }

    /// <summary>
    /// IndexSelect of a contiguous tensor whose slices along <paramref name="d"/> are runs of at least 16
    /// elements (e.g. a minibatch of images picked from a data set): one block copy of <paramref name="inner"/> elements per slice.
    /// </summary>
    Tensor SelectSlices(int d, Tensor index, int[] outShape, int inner)
    {
        int size = shape[d], count = index.Count;
        int outer = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        var positions = index.Contiguous();
        var picks = positions.Data<long>();
        for (int i = 0; i < count; i++)
        {
            long k = picks[positions.offset + i];
            if ((ulong)k >= (ulong)size) throw new ShapeException($"IndexSelect: index {k} is out of bounds for dim {d} with size {size} (shape {Shape}).");
        }
        var result = Uninitialized(outShape, DType, "IndexSelect");
        Backends.Cpu.Indexing.SelectSlices(storage.Data, offset, size, picks, positions.offset, count, outer, inner, result.storage.Data, DType.ElementSize());
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
    static Tensor IndexAlong(Tensor index, int d, int[] shape)
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
        var a = x.ToDTypeIfNeeded(dtype);
        var b = y.ToDTypeIfNeeded(dtype);
        var result = Uninitialized(shape, dtype, "Where");
        if (result.Count > 0)
        {
            var layout = new RowLayout(shape, [0, condition.offset, a.offset, b.offset],
                result.strides, condition.BroadcastStrides(shape), a.BroadcastStrides(shape), b.BroadcastStrides(shape));
            var c = condition.Data<bool>();
            switch (dtype)
            {
                case DType.Float32: Elementwise.Select(layout, c, a.Data<float>(), b.Data<float>(), result.Data<float>()); break;
                case DType.Float64: Elementwise.Select(layout, c, a.Data<double>(), b.Data<double>(), result.Data<double>()); break;
                case DType.Int64: Elementwise.Select(layout, c, a.Data<long>(), b.Data<long>(), result.Data<long>()); break;
                case DType.Int32: Elementwise.Select(layout, c, a.Data<int>(), b.Data<int>(), result.Data<int>()); break;
                case DType.UInt8: Elementwise.Select(layout, c, a.Data<byte>(), b.Data<byte>(), result.Data<byte>()); break;
                default: Elementwise.Select(layout, c, a.Data<bool>(), b.Data<bool>(), result.Data<bool>()); break;
            }
        }
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
        return From(rows.ToArray(), count, Rank);
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
        var result = Zeros([.. shape, numClasses], DType.Int64);
        var ones = result.Span<long>();
        for (int i = 0; i < values.Length; i++) ones[i * numClasses + (int)values[i]] = 1;
        return result;
    }
}
