namespace Nabla.Data;

/// <summary>
/// The samples of a data set at chosen indices (<c>torch.utils.data.Subset</c>), e.g. a
/// validation split; sample <c>i</c> is <c>dataset[indices[i]]</c>. Batched fetching passes
/// through when the underlying data set supports it.
/// </summary>
/// <typeparam name="T">Type of one sample.</typeparam>
public sealed class Subset<T> : Dataset<T>, IBatchDataset<T>
{
    private readonly int[] indices;

    /// <summary>The samples of <paramref name="dataset"/> at <paramref name="indices"/>, in that order.</summary>
    /// <param name="dataset">The underlying data set.</param>
    /// <param name="indices">Indices into <paramref name="dataset"/>, each in 0 … Count − 1; may repeat.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the data set.</exception>
    public Subset(Dataset<T> dataset, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(indices);
        this.indices = new int[indices.Count];
        for (int i = 0; i < this.indices.Length; i++)
        {
            int index = indices[i];
            if ((uint)index >= (uint)dataset.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"Subset: indices[{i}] = {index} is out of range for a data set of {dataset.Count} samples.");
            }
            this.indices[i] = index;
        }
        Dataset = dataset;
    }

    /// <summary>The underlying data set.</summary>
    public Dataset<T> Dataset { get; }

    /// <summary>The indices into <see cref="Dataset"/>.</summary>
    public IReadOnlyList<int> Indices => indices;

    /// <inheritdoc/>
    public override int Count => indices.Length;

    /// <inheritdoc/>
    public override T this[int index]
    {
        get
        {
            CheckIndex(index);
            return Dataset[indices[index]];
        }
    }

    /// <summary>
    /// The samples at <paramref name="batchIndices"/>, collated by the underlying data set's
    /// <see cref="IBatchDataset{TBatch}.GetBatch"/> when it has one, else with <see cref="Collate.Default{T}"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the subset.</exception>
    public T GetBatch(ReadOnlySpan<int> batchIndices)
    {
        var mapped = new int[batchIndices.Length];
        for (int i = 0; i < mapped.Length; i++)
        {
            CheckIndex(batchIndices[i]);
            mapped[i] = indices[batchIndices[i]];
        }
        if (Dataset is IBatchDataset<T> batched)
        {
            return batched.GetBatch(mapped);
        }
        var samples = new T[mapped.Length];
        for (int i = 0; i < mapped.Length; i++)
        {
            samples[i] = Dataset[mapped[i]];
        }
        return Collate.Default<T>()(samples);
    }
}
