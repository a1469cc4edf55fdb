namespace Nabla;

// x[...] indexing, NumPy/PyTorch style: integers and ranges give views; index tensors and
// masks gather (advanced indexing).
public partial class Tensor
{
    /// <summary>
    /// Indexing like PyTorch: <c>x[0]</c>, <c>x[.., 1..^1]</c>, <c>x[TensorIndex.Ellipsis, 0]</c>,
    /// <c>x[TensorIndex.None]</c>, <c>x[indexTensor]</c>, <c>x[mask]</c>. Integers and ranges give
    /// views sharing storage; index tensors give copies. Setting writes into this tensor in place.
    /// </summary>
    [System.Runtime.CompilerServices.IndexerName("Index")]
    public Tensor this[params TensorIndex[] indices]
    {
        get => IndexGet(indices);
        set => IndexPut(indices, value);
    }

    Tensor IndexGet(TensorIndex[] indices)
    {
        var (view, tensorDims, tensorIndices) = BasicIndex(indices);
        return tensorIndices.Count == 0 ? view : view.AdvancedIndex(tensorDims, tensorIndices);
    }

    void IndexPut(TensorIndex[] indices, Tensor value)
    {
        CheckInPlaceAllowed("Index");
        var (view, tensorDims, tensorIndices) = BasicIndex(indices);
        if (tensorIndices.Count == 0)
        {
            view.Copy_(value);
            return;
        }
        // The scatter below is not recorded: refuse rather than leave a graph whose gradients ignore the write.
        if (Node.ShouldRecord(this, value))
            throw new AutogradException($"Index: assigning through index tensors or masks to a tensor of shape {Shape} that takes part in autograd is not differentiable here; " +
                "assign under Autograd.NoGrad(), or build the result out of place (Where, MaskedFill, Scatter).");
        // Advanced assignment: scatter rows into a copy with the indexed dims moved to the front
        // and merged, then write the copy back through the view.
        using var _ = GradMode.Set(false);
        var plan = view.PlanAdvanced(tensorDims, tensorIndices);
        var moved = plan.Moved.Clone();
        var values = value.ToDTypeIfNeeded(DType).Expand([.. plan.IndexShape, .. plan.Rest]).Contiguous().Reshape([-1, .. plan.Rest]);
        var positions = plan.Positions.Reshape(-1);
        moved.ScatterRaw("IndexPut", 0, IndexAlong(positions, 0, values.shape), values, accumulate: false);
        var inverse = new int[plan.Order.Length];
        for (int i = 0; i < inverse.Length; i++) inverse[plan.Order[i]] = i;
        view.WriteFrom(moved.Reshape(plan.PermutedShape).Permute(inverse));
    }

    /// <summary>Applies integers, ranges, None and Ellipsis as views; returns the view and the remaining tensor indices with the dims they apply to.</summary>
    (Tensor View, List<int> TensorDims, List<Tensor> TensorIndices) BasicIndex(TensorIndex[] indices)
    {
        int consumed = 0;
        foreach (var ix in indices)
            consumed += ix.Kind switch
            {
                TensorIndex.Kinds.Integer or TensorIndex.Kinds.Slice => 1,
                TensorIndex.Kinds.Tensor => ix.Indices!.DType == DType.Bool ? ix.Indices.Rank : 1,
                _ => 0,
            };
        if (consumed > Rank) throw new ShapeException($"Index: too many indices ({consumed}) for a tensor of shape {Shape}.");
        var t = this;
        int dim = 0;
        int sourceDim = 0; // the dim of this tensor that the index applies to, for messages
        var tensorDims = new List<int>();
        var tensorIndices = new List<Tensor>();
        bool sawEllipsis = false;
        foreach (var ix in indices)
        {
            switch (ix.Kind)
            {
                case TensorIndex.Kinds.Integer:
                    int size = t.shape[dim];
                    int position = ix.Position.IsFromEnd ? size - ix.Position.Value : ix.Position.Value;
                    if (position < 0 || position >= size)
                        throw new ShapeException($"Index: index {ix.Written} is out of bounds for dim {sourceDim} with size {size} (shape {Shape}).");
                    t = t.Select(dim, position);
                    sourceDim++;
                    break;
                case TensorIndex.Kinds.Slice:
                    var (start, length) = ClampedRange(ix.Range, t.shape[dim]);
                    t = t.Slice(dim, start, start + length, ix.Step);
                    dim++;
                    sourceDim++;
                    break;
                case TensorIndex.Kinds.NewAxis:
                    t = t.Unsqueeze(dim);
                    dim++;
                    break;
                case TensorIndex.Kinds.Ellipsis:
                    if (sawEllipsis) throw new ShapeException("Index: only one Ellipsis is allowed.");
                    sawEllipsis = true;
                    dim += Rank - consumed;
                    sourceDim += Rank - consumed;
                    break;
                case TensorIndex.Kinds.Tensor:
                    var idx = ix.Indices!;
                    if (idx.DType == DType.Bool)
                    {
                        for (int k = 0; k < idx.Rank; k++)
                            if (idx.shape[k] != t.shape[dim + k])
                                throw new ShapeException($"Index: the mask of shape {idx.Shape} does not match the indexed shape {t.Shape} at dim {dim + k}.");
                        var nonzero = idx.Nonzero();
                        for (int k = 0; k < idx.Rank; k++) { tensorDims.Add(dim + k); tensorIndices.Add(nonzero.Select(1, k)); }
                        dim += idx.Rank;
                        sourceDim += idx.Rank;
                    }
                    else
                    {
                        if (idx.DType.Category() != 1) throw new DTypeException($"Index: index tensors must be integer or bool, got {idx.DType}.");
                        tensorDims.Add(dim);
                        tensorIndices.Add(idx.ToDTypeIfNeeded(DType.Int64));
                        dim++;
                        sourceDim++;
                    }
                    break;
            }
        }
        return (t, tensorDims, tensorIndices);
    }

    static (int Start, int Length) ClampedRange(System.Range range, int size)
    {
        int start = range.Start.IsFromEnd ? size - range.Start.Value : range.Start.Value;
        int end = range.End.IsFromEnd ? size - range.End.Value : range.End.Value;
        start = Math.Clamp(start, 0, size);
        end = Math.Clamp(end, start, size);
        return (start, end - start);
    }

    /// <summary>
    /// Advanced indexing: the index tensors broadcast together; their result dims go where the
    /// first indexed dim was if the indexed dims are adjacent, else to the front (NumPy's rule).
    /// Done by moving indexed dims to the front, flattening them, and one IndexSelect.
    /// </summary>
    Tensor AdvancedIndex(List<int> dims, List<Tensor> indices)
    {
        var plan = PlanAdvanced(dims, indices);
        var gathered = plan.Moved.IndexSelect(0, plan.Positions.Reshape(-1));
        var result = gathered.Reshape([.. plan.IndexShape, .. plan.Rest]);
        bool adjacent = dims.Zip(dims.Skip(1)).All(p => p.Second == p.First + 1);
        if (adjacent && dims[0] > 0)
        {
            // Move the index dims from the front back to where the first indexed dim was.
            int k = plan.IndexShape.Length, p = dims[0];
            var order = new List<int>();
            for (int i = 0; i < p; i++) order.Add(k + i);
            for (int i = 0; i < k; i++) order.Add(i);
            for (int i = k + p; i < result.Rank; i++) order.Add(i);
            result = result.Permute([.. order]);
        }
        return result;
    }

    /// <summary>How an advanced index addresses this tensor: the indexed dims moved to the front (Order)
    /// and merged into one (Moved: [-1, .. Rest]), and each selected element's position in that merged dim.</summary>
    sealed record AdvancedPlan(int[] Order, int[] PermutedShape, Tensor Moved, int[] IndexShape, int[] Rest, Tensor Positions);

    AdvancedPlan PlanAdvanced(List<int> dims, List<Tensor> indices)
    {
        var indexShape = indices.Select(i => i.shape).Aggregate((a, b) => Shape.Broadcast(a, b, "Index"));
        var order = dims.Concat(Enumerable.Range(0, Rank).Where(d => !dims.Contains(d))).ToArray();
        var permuted = Permute(order);
        var rest = permuted.shape[dims.Count..];
        var moved = permuted.Reshape([-1, .. rest]);
        Tensor? flat = null;
        using (GradMode.Set(false))
        {
            for (int k = 0; k < dims.Count; k++)
            {
                int size = shape[dims[k]];
                var idx = indices[k];
                foreach (long v in idx.ToArray<long>())
                    if (v < -size || v >= size) throw new ShapeException($"Index: index {v} is out of bounds for dim {dims[k]} with size {size} (shape {Shape}).");
                var wrapped = Where(idx.Lt(0), idx + size, idx);
                long stride = 1;
                for (int j = k + 1; j < dims.Count; j++) stride *= shape[dims[j]];
                var term = wrapped * stride;
                flat = flat is null ? term : flat + term;
            }
        }
        return new AdvancedPlan(order, permuted.shape, moved, indexShape, rest, flat!.Expand(indexShape).Contiguous());
    }
}
