using Nabla.Jit;
namespace Nabla;

// Joining and splitting: Cat, Stack, Split, Chunk, Repeat.
public partial class Tensor
{
    /// <summary>Concatenates tensors along an existing dim (<c>torch.cat</c>). Dtypes are promoted.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Cat: expected a non-empty list of tensors.");
        // Like PyTorch, 1-D empty tensors are skipped (legacy behaviour many programs rely on).
        var parts = tensors.Where(t => !(t.Rank == 1 && t.shape[0] == 0)).ToList();
        if (parts.Count == 0) return tensors[0];
        var first = parts[0];
        int d = Shape.NormalizeDim(dim, first.Rank, "Cat");
        var dtype = parts.Select(t => t.DType).Aggregate(DTypes.Promote);
        int total = 0;
        foreach (var t in parts)
        {
            if (t.Rank != first.Rank)
                throw new ShapeException($"Cat: tensors must have the same number of dims, got {first.Shape} and {t.Shape}.");
            for (int i = 0; i < first.Rank; i++)
                if (i != d && t.shape[i] != first.shape[i])
                    throw new ShapeException($"Cat: sizes must match except in dim {d}; got {first.Shape} and {t.Shape} (dim {i}).");
            total += t.shape[d];
        }
        var outShape = (int[])first.shape.Clone();
        outShape[d] = total;
        var result = Uninitialized(outShape, dtype, "Cat", first.Device);
        int start = 0;
        foreach (var t in parts)
        {
            using (GradMode.Set(false)) result.Slice(d, start, start + t.shape[d]).WriteFrom(t);
            start += t.shape[d];
        }
        if (Node.ShouldRecord(CollectionsMarshalAsSpan(parts)))
        {
            var sizes = parts.Select(t => t.shape[d]).ToArray();
            Node.Record(result, "CatBackward0", [.. parts], g =>
            {
                var grads = new Tensor?[sizes.Length];
                int at = 0;
                for (int i = 0; i < sizes.Length; i++) { grads[i] = g.Narrow(d, at, sizes[i]); at += sizes[i]; }
                return grads;
            });
        }
        if (Tracer.IsActive) Tracer.Record(GraphOps.Cat, result, [.. parts], new() { ["dim"] = d });
        return result;
    }

    static ReadOnlySpan<Tensor> CollectionsMarshalAsSpan(List<Tensor> list) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list);

    /// <summary>Stacks same-shaped tensors along a new dim (<c>torch.stack</c>).</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Stack: expected a non-empty list of tensors.");
        foreach (var t in tensors)
            if (!t.Shape.Equals(tensors[0].Shape))
                throw new ShapeException($"Stack: all tensors must have the same shape, got {tensors[0].Shape} and {t.Shape}.");
        int d = Shape.NormalizeDim(dim, tensors[0].Rank + 1, "Stack");
        return Cat(tensors.Select(t => t.Unsqueeze(d)).ToList(), d);
    }

    /// <summary>Splits into pieces of <paramref name="splitSize"/> along dim (the last may be smaller), as views.</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        int d = Shape.NormalizeDim(dim, Rank, "Split");
        if (splitSize <= 0) throw new ArgumentException($"Split: splitSize must be positive, got {splitSize}.");
        int size = shape[d];
        int count = Math.Max(1, (size + splitSize - 1) / splitSize);
        var pieces = new Tensor[count];
        for (int i = 0; i < count; i++)
        {
            int start = i * splitSize;
            pieces[i] = Narrow(d, start, Math.Min(splitSize, size - start));
        }
        return pieces;
    }

    /// <summary>Splits into pieces with the given sizes along dim, as views.</summary>
    public Tensor[] Split(int[] splitSizes, int dim = 0)
    {
        int d = Shape.NormalizeDim(dim, Rank, "Split");
        if (splitSizes.Sum() != shape[d])
            throw new ShapeException($"Split: sizes {Shape.Format(splitSizes)} sum to {splitSizes.Sum()} but dim {d} has size {shape[d]} (shape {Shape}).");
        var pieces = new Tensor[splitSizes.Length];
        int start = 0;
        for (int i = 0; i < splitSizes.Length; i++) { pieces[i] = Narrow(d, start, splitSizes[i]); start += splitSizes[i]; }
        return pieces;
    }

    /// <summary>Splits into <paramref name="chunks"/> nearly equal pieces along dim (<c>chunk</c>).</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0) throw new ArgumentException($"Chunk: chunks must be positive, got {chunks}.");
        int d = Shape.NormalizeDim(dim, Rank, "Chunk");
        int size = (shape[d] + chunks - 1) / chunks;
        return Split(Math.Max(size, 1), d);
    }

    /// <summary>Tiles the tensor: dim i is repeated repeats[i] times (<c>repeat</c>).</summary>
    public Tensor Repeat(params int[] repeats)
    {
        if (repeats.Length < Rank)
            throw new ShapeException($"Repeat: {repeats.Length} repeat counts given for a tensor of rank {Rank}; need at least {Rank}.");
        // View as [1, s0, 1, s1, …], expand to [r0, s0, r1, s1, …], then copy into [r0·s0, r1·s1, …].
        var padded = Reshape([.. Enumerable.Repeat(1, repeats.Length - Rank), .. shape]);
        var interleaved = new List<int>();
        var expanded = new List<int>();
        var final = new int[repeats.Length];
        for (int i = 0; i < repeats.Length; i++)
        {
            interleaved.Add(1); interleaved.Add(padded.shape[i]);
            expanded.Add(repeats[i]); expanded.Add(padded.shape[i]);
            final[i] = repeats[i] * padded.shape[i];
        }
        return padded.Reshape([.. interleaved]).Expand([.. expanded]).Contiguous().View(final);
    }
}
