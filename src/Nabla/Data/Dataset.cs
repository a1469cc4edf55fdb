using System.Collections;

namespace Nabla.Data;

/// <summary>
/// A map-style data set (<c>torch.utils.data.Dataset</c>): a fixed number of samples, each
/// fetched by its index. A <see cref="DataLoader{TSample, TBatch}"/> draws indices, fetches the
/// samples and collates them into batches.
/// </summary>
/// <typeparam name="T">Type of one sample, e.g. <c>(Tensor Image, Tensor Label)</c> or <c>Tensor[]</c>.</typeparam>
/// <remarks>
/// Samples may be fetched from a background thread (the loader's prefetch worker), so an
/// implementation must not depend on the calling thread; reading from memory that was loaded
/// once in the constructor is the usual way, and it keeps epochs from re-reading files.
/// </remarks>
public abstract class Dataset<T> : IReadOnlyList<T>
{
    /// <summary>Number of samples (<c>len(dataset)</c>).</summary>
    public abstract int Count { get; }

    /// <summary>The sample at <paramref name="index"/>, in 0 … <see cref="Count"/> − 1 (<c>dataset[index]</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the data set.</exception>
    public abstract T this[int index] { get; }

    /// <summary>The samples in index order.</summary>
    public IEnumerator<T> GetEnumerator()
    {
        int count = Count;
        for (int i = 0; i < count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Throws the standard error for an index outside 0 … <see cref="Count"/> − 1.</summary>
    /// <param name="index">The index to check.</param>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the data set.</exception>
    protected void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{GetType().Name}: index {index} is out of range for a data set of {Count} samples.");
        }
    }
}
