namespace Nabla.Data;

/// <summary>
/// A data set that fetches a whole batch at once, already collated, faster than fetching its
/// samples one by one and stacking them (PyTorch's <c>__getitems__</c>). A
/// <see cref="DataLoader{TSample, TBatch}"/> with the default collate function uses it.
/// </summary>
/// <typeparam name="TBatch">Type of a batch; equal to what the default collation of the samples would give.</typeparam>
public interface IBatchDataset<out TBatch>
{
    /// <summary>
    /// The samples at <paramref name="indices"/>, in that order, collated: the same values as
    /// <see cref="Collate.Default{T}"/> applied to the samples one by one.
    /// </summary>
    /// <param name="indices">Indices of the samples, each in 0 … Count − 1; may repeat.</param>
    TBatch GetBatch(ReadOnlySpan<int> indices);
}
