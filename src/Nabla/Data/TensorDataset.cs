namespace Nabla.Data;

/// <summary>
/// A data set over tensors that share their first dimension (<c>torch.utils.data.TensorDataset</c>):
/// sample <c>i</c> is <c>[tensors[0][i], tensors[1][i], …]</c>, e.g. <c>[features, label]</c>.
/// </summary>
/// <remarks>
/// Samples are views into the tensors (no copy). A <see cref="DataLoader{T}"/> does not fetch
/// them one by one: it gathers each batch at once per tensor, the equivalent of one
/// <see cref="Tensor.IndexSelect"/> (see <see cref="GetBatch"/>).
/// </remarks>
public sealed class TensorDataset : Dataset<Tensor[]>, IBatchDataset<Tensor[]>
{
    private readonly Tensor[] tensors;

    /// <summary>A data set over <paramref name="tensors"/>, indexed along their first dimension.</summary>
    /// <param name="tensors">At least one tensor; all of rank ≥ 1 with the same size in dim 0.</param>
    /// <exception cref="ArgumentException">No tensor is given, one is a scalar, or the first dimensions differ.</exception>
    public TensorDataset(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0)
        {
            throw new ArgumentException("TensorDataset: expected at least one tensor.", nameof(tensors));
        }
        for (int i = 0; i < tensors.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(tensors[i], $"{nameof(tensors)}[{i}]");
            if (tensors[i].Rank == 0)
            {
                throw new ArgumentException($"TensorDataset: tensors[{i}] is a scalar; every tensor needs a first dimension to index.", nameof(tensors));
            }
            if (tensors[i].Size(0) != tensors[0].Size(0))
            {
                throw new ArgumentException(
                    $"TensorDataset: size mismatch between tensors: tensors[0] has shape {tensors[0].Shape} but tensors[{i}] has shape {tensors[i].Shape} (dim 0: {tensors[0].Size(0)} ≠ {tensors[i].Size(0)}).",
                    nameof(tensors));
            }
        }
        this.tensors = (Tensor[])tensors.Clone();
    }

    /// <summary>The tensors, in the order of each sample's entries.</summary>
    public IReadOnlyList<Tensor> Tensors => tensors;

    /// <inheritdoc/>
    public override int Count => tensors[0].Size(0);

    /// <summary>Row <paramref name="index"/> of every tensor, as views.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the data set.</exception>
    public override Tensor[] this[int index]
    {
        get
        {
            CheckIndex(index);
            var sample = new Tensor[tensors.Length];
            for (int i = 0; i < tensors.Length; i++)
            {
                sample[i] = tensors[i].Select(0, index);
            }
            return sample;
        }
    }

    /// <summary>
    /// The rows at <paramref name="indices"/> of every tensor, gathered at once — row block copies
    /// for contiguous tensors, one <see cref="Tensor.IndexSelect"/> otherwise (and for tensors that
    /// require grad, so the batch stays in the graph): equal to stacking the samples, without the
    /// per-sample work.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the data set.</exception>
    public Tensor[] GetBatch(ReadOnlySpan<int> indices)
    {
        var positions = new long[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            CheckIndex(indices[i]);
            positions[i] = indices[i];
        }
        var index = Tensor.From(positions);
        var batch = new Tensor[tensors.Length];
        for (int i = 0; i < tensors.Length; i++)
        {
            batch[i] = tensors[i].IsContiguous && !tensors[i].RequiresGrad
                ? GatherRows(tensors[i], indices)
                : tensors[i].IndexSelect(0, index);
        }
        return batch;
    }

    // IndexSelect gathers element by element through an index as large as the result; rows of a
    // contiguous tensor are contiguous, so one block copy per row gives the same values faster.
    private static Tensor GatherRows(Tensor source, ReadOnlySpan<int> indices)
    {
        var shape = (int[])source.shape.Clone();
        shape[0] = indices.Length;
        var result = Tensor.Uninitialized(shape, source.DType, "TensorDataset.GetBatch");
        int rowLength = source.shape[0] == 0 ? 0 : source.Count / source.shape[0];
        for (int i = 0; i < indices.Length; i++)
        {
            Array.Copy(source.storage.Data, source.offset + (long)indices[i] * rowLength, result.storage.Data, (long)i * rowLength, rowLength);
        }
        return result;
    }
}
