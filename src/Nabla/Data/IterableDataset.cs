using System.Collections;

namespace Nabla.Data;

/// <summary>
/// A stream of samples (<c>torch.utils.data.IterableDataset</c>): read in order, without random
/// access — lines of a corpus too large for memory, samples generated on the fly. A
/// <see cref="DataLoader{TSample, TBatch}"/> groups consecutive samples into batches; it cannot
/// shuffle them.
/// </summary>
/// <typeparam name="T">Type of one sample.</typeparam>
/// <remarks>
/// Each enumeration is one epoch and must start from the beginning. With prefetch the loader
/// enumerates on a background thread, so an implementation must not depend on the calling thread.
/// </remarks>
public abstract class IterableDataset<T> : IEnumerable<T>
{
    /// <summary>Number of samples per epoch when known in advance, else <see langword="null"/> (the default).</summary>
    public virtual int? Count => null;

    /// <summary>Starts an epoch: the samples in order.</summary>
    public abstract IEnumerator<T> GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
