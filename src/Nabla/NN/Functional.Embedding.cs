using Nabla.Jit;
namespace Nabla.NN;

// Embedding lookup.
public static partial class Functional
{
    /// <summary>
    /// Rows of <paramref name="weight"/> picked by integer indices (<c>F.embedding</c>); the backward
    /// adds each output row's gradient into its row (index_select / index_add, no one-hot). The
    /// row <paramref name="paddingIdx"/> receives no gradient.
    /// Shape: input Int64 [*], weight [num_embeddings, embedding_dim] → [*, embedding_dim].
    /// </summary>
    public static Tensor Embedding(Tensor input, Tensor weight, int? paddingIdx = null)
    {
        const string op = "Embedding";
        if (weight.Rank != 2) throw new ShapeException($"{op}: weight must be 2-D [num_embeddings, embedding_dim], got shape {weight.Shape}.");
        if (!input.DType.IsInteger())
            throw new DTypeException($"{op}: indices must be an integer tensor (Int64), got {input.DType} (shape {input.Shape}).");
        var indices = input.To(DType.Int64);
        var rows = weight.IndexSelect(0, indices.Reshape(-1)).Reshape([.. input.Shape, weight.Size(1)]);
        if (paddingIdx is not int padding)
        {
            Tracer.Record(GraphOps.Embedding, rows, [input, weight]);
            return rows;
        }
        if (padding < 0) padding += weight.Size(0);
        // Same values; the padding positions read a detached copy, so their gradient stops here.
        var isPadding = indices.Eq(padding).Unsqueeze(-1);
        var result = Tensor.Where(isPadding, rows.Detach(), rows);
        // The padding index changes only the gradient: the traced node is the lookup, with the index as an attribute.
        if (Tracer.IsActive) Tracer.Record(GraphOps.Embedding, result, [input, weight], new() { ["padding_idx"] = padding });
        return result;
    }
}
