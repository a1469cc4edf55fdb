using Nabla.Jit;
namespace Nabla;

// Views: new shape/strides/offset over the same storage, no copy. Backward maps the gradient
// back to the input's layout: reshape it, permute it back, or embed it into zeros.
public partial class Tensor
{
    Tensor ViewOf(int[] newShape, int[] newStrides, int newOffset) => new(storage, newShape, newStrides, newOffset) { viewBase = viewBase ?? this };

    /// <summary>The same data with a new shape; one dim may be −1 (inferred). The strides must allow it
    /// without a copy (<c>view</c>), else use <see cref="Reshape"/>.</summary>
    public Tensor View(params int[] shape)
    {
        var newShape = InferShape(shape, "View");
        var newStrides = ViewStrides(newShape) ?? throw new ShapeException(
            $"View: a tensor of shape {Shape} with strides {Shape.Format(strides)} cannot be viewed as {Shape.Format(newShape)} without a copy; use Reshape().");
        return Viewed(newShape, newStrides, offset, "ViewBackward0");
    }

    /// <summary>The same data with a new shape (one dim may be −1), as a view when possible, else a copy (<c>reshape</c>).</summary>
    public Tensor Reshape(params int[] shape)
    {
        var newShape = InferShape(shape, "Reshape");
        var newStrides = ViewStrides(newShape);
        return newStrides != null ? Viewed(newShape, newStrides, offset, "ViewBackward0") : Clone().View(newShape);
    }

    /// <summary>Reshapes to another tensor's shape.</summary>
    public Tensor ViewAs(Tensor other) => View(other.shape);

    Tensor Viewed(int[] newShape, int[] newStrides, int newOffset, string name)
    {
        var result = ViewOf(newShape, newStrides, newOffset);
        if (Node.ShouldRecord(this))
        {
            var inputShape = shape;
            Node.Record(result, name, [this], g => [g.Reshape(inputShape)]);
        }
        if (Tracer.IsActive) Tracer.Record(GraphOps.Reshape, result, [this], new() { ["shape"] = newShape.ToArray() });
        return result;
    }

    int[] InferShape(int[] requested, string op)
    {
        int inferAt = -1;
        long known = 1;
        for (int i = 0; i < requested.Length; i++)
        {
            if (requested[i] == -1)
            {
                if (inferAt >= 0) throw new ShapeException($"{op}: only one dimension can be -1, got {Shape.Format(requested)}.");
                inferAt = i;
            }
            else if (requested[i] < 0) throw new ShapeException($"{op}: invalid size {requested[i]} in {Shape.Format(requested)}.");
            else known *= requested[i];
        }
        var result = (int[])requested.Clone();
        if (inferAt >= 0)
        {
            if (known == 0 || NumElements % known != 0)
                throw new ShapeException($"{op}: shape {Shape.Format(requested)} is invalid for a tensor of shape {Shape} ({NumElements} elements).");
            result[inferAt] = (int)(NumElements / known);
        }
        else if (known != NumElements)
            throw new ShapeException($"{op}: shape {Shape.Format(requested)} is invalid for a tensor of shape {Shape} ({NumElements} elements).");
        return result;
    }

    /// <summary>Strides that view this tensor's data as <paramref name="newShape"/>, or null when a copy is needed
    /// (PyTorch's computeStride: chunks of dims that are contiguous with each other can be split or merged).</summary>
    int[]? ViewStrides(int[] newShape)
    {
        var newStrides = new int[newShape.Length];
        if (NumElements == 0 || shape.Length == 0) return Shape.ContiguousStrides(newShape);
        int viewD = newShape.Length - 1;
        long chunkBaseStride = strides[^1], tensorNumel = 1, viewNumel = 1;
        for (int tensorD = shape.Length - 1; tensorD >= 0; tensorD--)
        {
            tensorNumel *= shape[tensorD];
            if (tensorD == 0 || (shape[tensorD - 1] != 1 && strides[tensorD - 1] != tensorNumel * chunkBaseStride))
            {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1))
                {
                    newStrides[viewD] = (int)(viewNumel * chunkBaseStride);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (tensorD > 0)
                {
                    chunkBaseStride = strides[tensorD - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? newStrides : null;
    }

    /// <summary>Merges dims startDim..endDim into one (<c>flatten</c>).</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        int start = Shape.NormalizeDim(startDim, Rank, "Flatten"), end = Shape.NormalizeDim(endDim, Rank, "Flatten");
        if (start > end) throw new ShapeException($"Flatten: startDim {startDim} comes after endDim {endDim} for shape {Shape}.");
        var newShape = new List<int>();
        for (int i = 0; i < start; i++) newShape.Add(shape[i]);
        int merged = 1;
        for (int i = start; i <= end; i++) merged *= shape[i];
        newShape.Add(merged);
        for (int i = end + 1; i < Rank; i++) newShape.Add(shape[i]);
        return Reshape([.. newShape]);
    }

    /// <summary>Splits dim into the given sizes (<c>unflatten</c>).</summary>
    public Tensor Unflatten(int dim, params int[] sizes)
    {
        int d = Shape.NormalizeDim(dim, Rank, "Unflatten");
        var newShape = new List<int>(shape[..d]);
        newShape.AddRange(sizes);
        newShape.AddRange(shape[(d + 1)..]);
        return View([.. newShape]);
    }

    /// <summary>Reorders the dims (<c>permute</c>).</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank) throw new ShapeException($"Permute: got {dims.Length} dims {Shape.Format(dims)} for a tensor of rank {Rank}.");
        var newShape = new int[Rank];
        var newStrides = new int[Rank];
        var inverse = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = Shape.NormalizeDim(dims[i], Rank, "Permute");
            if (seen[d]) throw new ShapeException($"Permute: dim {d} repeated in {Shape.Format(dims)}.");
            seen[d] = true;
            newShape[i] = shape[d];
            newStrides[i] = strides[d];
            inverse[d] = i;
        }
        var result = ViewOf(newShape, newStrides, offset);
        if (Node.ShouldRecord(this)) Node.Record(result, "PermuteBackward0", [this], g => [g.Permute(inverse)]);
        if (Tracer.IsActive) Tracer.Record(GraphOps.Permute, result, [this], new() { ["dims"] = dims.Select(x => Shape.NormalizeDim(x, Rank, "Permute")).ToArray() });
        return result;
    }

    /// <summary>Swaps two dims (<c>transpose</c>).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        if (Rank == 0) return this;
        var dims = new int[Rank];
        for (int i = 0; i < Rank; i++) dims[i] = i;
        int a = Shape.NormalizeDim(dim0, Rank, "Transpose"), b = Shape.NormalizeDim(dim1, Rank, "Transpose");
        (dims[a], dims[b]) = (dims[b], dims[a]);
        return Permute(dims);
    }

    /// <summary>Matrix transpose of a tensor with at most 2 dims (<c>.T</c> / <c>t()</c>).</summary>
    public Tensor T => Rank <= 2 ? Transpose(0, -1) : throw new ShapeException($"T: expects a tensor with at most 2 dims, got shape {Shape}; use Transpose or mT.");

    /// <summary>Transposes the last two dims (<c>.mT</c>).</summary>
    public Tensor MT => Rank >= 2 ? Transpose(-2, -1) : throw new ShapeException($"MT: expects at least 2 dims, got shape {Shape}.");

    /// <summary>Removes all size-1 dims (<c>squeeze()</c>).</summary>
    public Tensor Squeeze()
    {
        var keep = Enumerable.Range(0, Rank).Where(i => shape[i] != 1).ToArray();
        return Viewed([.. keep.Select(i => shape[i])], [.. keep.Select(i => strides[i])], offset, "SqueezeBackward0");
    }

    /// <summary>Removes dim if its size is 1 (<c>squeeze(dim)</c>).</summary>
    public Tensor Squeeze(int dim)
    {
        if (Rank == 0) return this;
        int d = Shape.NormalizeDim(dim, Rank, "Squeeze");
        if (shape[d] != 1) return this;
        return Viewed([.. shape[..d], .. shape[(d + 1)..]], [.. strides[..d], .. strides[(d + 1)..]], offset, "SqueezeBackward1");
    }

    /// <summary>Inserts a size-1 dim at <paramref name="dim"/> (<c>unsqueeze</c>).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = Shape.NormalizeDim(dim, Rank + 1, "Unsqueeze");
        int stride = d < Rank ? shape[d] * strides[d] : 1;
        return Viewed([.. shape[..d], 1, .. shape[d..]], [.. strides[..d], stride, .. strides[d..]], offset, "UnsqueezeBackward0");
    }

    /// <summary>Broadcasts to a larger shape without copying (stride 0); −1 keeps a size (<c>expand</c>).</summary>
    public Tensor Expand(params int[] sizes)
    {
        if (sizes.Length < Rank) throw new ShapeException($"Expand: the target {Shape.Format(sizes)} has fewer dims than the tensor {Shape}.");
        var newShape = new int[sizes.Length];
        var newStrides = new int[sizes.Length];
        int shift = sizes.Length - Rank;
        for (int i = 0; i < sizes.Length; i++)
        {
            int own = i >= shift ? shape[i - shift] : 1;
            int target = sizes[i] == -1 && i >= shift ? own : sizes[i];
            if (own != target && own != 1)
                throw new ShapeException($"Expand: the size {own} at dim {i - shift} of shape {Shape} must match {target} in {Shape.Format(sizes)}, or be 1.");
            newShape[i] = target;
            newStrides[i] = i < shift || own != target ? 0 : strides[i - shift];
        }
        if (newShape.AsSpan().SequenceEqual(shape)) return this;
        var result = ViewOf(newShape, newStrides, offset);
        // The engine sums the broadcast gradient back to this tensor's shape.
        if (Node.ShouldRecord(this)) Node.Record(result, "ExpandBackward0", [this], g => [g]);
        if (Tracer.IsActive) Tracer.Record(GraphOps.Expand, result, [this], new() { ["shape"] = newShape.ToArray() });
        return result;
    }

    /// <summary>Expands to another tensor's shape.</summary>
    public Tensor ExpandAs(Tensor other) => Expand(other.shape);

    /// <summary>Elements start … start+length−1 along dim, as a view (<c>narrow</c>).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = Shape.NormalizeDim(dim, Rank, "Narrow");
        if (start < 0) start += shape[d];
        if (start < 0 || length < 0 || start + length > shape[d])
            throw new ShapeException($"Narrow: start {start} and length {length} are out of range for dim {d} of size {shape[d]} (shape {Shape}).");
        return Slice(d, start, start + length, 1);
    }

    /// <summary>Every step-th element of [start, end) along dim, as a view (<c>x[:, start:end:step]</c>).</summary>
    public Tensor Slice(int dim, int start, int end, int step = 1)
    {
        int d = Shape.NormalizeDim(dim, Rank, "Slice");
        if (step <= 0) throw new ShapeException($"Slice: step must be positive, got {step}.");
        int size = shape[d];
        // Python slice semantics: negatives count from the end, then clamp to [0, size].
        if (start < 0) start += size;
        if (end < 0) end += size;
        start = Math.Clamp(start, 0, size);
        end = Math.Clamp(end, start, size);
        var newShape = (int[])shape.Clone();
        var newStrides = (int[])strides.Clone();
        newShape[d] = (end - start + step - 1) / step;
        newStrides[d] = strides[d] * step;
        var result = ViewOf(newShape, newStrides, offset + (newShape[d] > 0 ? start * strides[d] : 0));
        if (Node.ShouldRecord(this))
        {
            var inputShape = shape;
            int s = start, e = end;
            Node.Record(result, "SliceBackward0", [this], g => [EmbedInto(g, inputShape, t => t.Slice(d, s, e, step))]);
        }
        if (Tracer.IsActive) Tracer.Record(GraphOps.Slice, result, [this], new() { ["dim"] = d, ["start"] = start, ["end"] = end, ["step"] = step });
        return result;
    }

    /// <summary>The sub-tensor at <paramref name="index"/> along dim, removing that dim (<c>select</c>, <c>x[i]</c>).</summary>
    public Tensor Select(int dim, int index)
    {
        int d = Shape.NormalizeDim(dim, Rank, "Select");
        int size = shape[d];
        if (index < -size || index >= size)
            throw new ShapeException($"Select: index {index} is out of bounds for dim {d} with size {size} (shape {Shape}).");
        if (index < 0) index += size;
        var result = ViewOf([.. shape[..d], .. shape[(d + 1)..]], [.. strides[..d], .. strides[(d + 1)..]], offset + index * strides[d]);
        if (Node.ShouldRecord(this))
        {
            var inputShape = shape;
            int i = index;
            Node.Record(result, "SelectBackward0", [this], g => [EmbedInto(g, inputShape, t => t.Select(d, i))]);
        }
        if (Tracer.IsActive) Tracer.Record(GraphOps.Select, result, [this], new() { ["dim"] = d, ["index"] = index });
        return result;
    }

    /// <summary>
    /// Zeros of <paramref name="baseShape"/> with <paramref name="values"/> written into the view
    /// that <paramref name="view"/> selects: the backward of every view that drops elements.
    /// Its own backward reads that view of the incoming gradient.
    /// </summary>
    internal static Tensor EmbedInto(Tensor values, int[] baseShape, Func<Tensor, Tensor> view)
    {
        var result = Zeros(baseShape, values.DType, device: values.Device);
        using (GradMode.Set(false)) view(result).WriteFrom(values);
        if (Node.ShouldRecord(values)) Node.Record(result, "EmbedBackward0", [values], g => [view(g)]);
        return result;
    }
}
