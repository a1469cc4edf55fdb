using System.Collections;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Nabla.Data;

// Both arities of DataLoader live here: DataLoader<T> is only DataLoader<T, T> with the default
// collate function, and a reader looking for one finds the other next to it.

/// <summary>
/// Iterates over a data set in batches (<c>torch.utils.data.DataLoader</c>) whose samples collate
/// into batches of the same type: tensors, tensor arrays and tuples of tensors, stacked along a
/// new first dimension. Each enumeration (<c>foreach</c>) is one epoch.
/// </summary>
/// <typeparam name="T">Type of a sample and of a batch, e.g. <c>(Tensor, Tensor)</c>.</typeparam>
/// <example>
/// <code>
/// var loader = new DataLoader&lt;(Tensor, Tensor)&gt;(trainSet, batchSize: 64, shuffle: true, generator: new Generator(0));
/// foreach (var (x, y) in loader) { ... }
/// </code>
/// </example>
public sealed class DataLoader<T> : DataLoader<T, T>
{
    /// <summary>A loader over a map-style data set.</summary>
    /// <param name="dataset">The samples; held in memory, never re-read per epoch.</param>
    /// <param name="batchSize">Samples per batch (<c>batch_size</c>).</param>
    /// <param name="shuffle">Whether each epoch visits the samples in a new random order (<c>shuffle</c>).</param>
    /// <param name="dropLast">Whether to drop the last batch when it is smaller than <paramref name="batchSize"/> (<c>drop_last</c>).</param>
    /// <param name="collate">Turns a list of samples into a batch; <see cref="Collate.Default{T}"/> when null (<c>collate_fn</c>).</param>
    /// <param name="generator">Draws the shuffled orders; see <see cref="DataLoader{TSample, TBatch}.Generator"/>.</param>
    /// <param name="prefetch">Batches prepared ahead on a background thread; 0 loads each batch on the consuming thread.</param>
    /// <param name="sampler">The indices of an epoch, in order (<c>sampler</c>), e.g. a <c>DistributedSampler</c>; excludes <paramref name="shuffle"/>.</param>
    /// <exception cref="ArgumentException">An argument is out of range, <paramref name="shuffle"/> is set with a sampler, or <typeparamref name="T"/> has no default collation and no collate function is given.</exception>
    public DataLoader(Dataset<T> dataset, int batchSize = 1, bool shuffle = false, bool dropLast = false,
        Func<IReadOnlyList<T>, T>? collate = null, Generator? generator = null, int prefetch = DefaultPrefetch, IReadOnlyCollection<int>? sampler = null)
        : base(dataset, collate ?? Collate.Default<T>(), batchSize, shuffle, dropLast, generator, prefetch, usesDefaultCollate: collate is null, sampler)
    {
    }

    /// <summary>A loader over a stream of samples, batched in the order they come.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch (<c>batch_size</c>).</param>
    /// <param name="dropLast">Whether to drop the last batch when it is smaller than <paramref name="batchSize"/> (<c>drop_last</c>).</param>
    /// <param name="collate">Turns a list of samples into a batch; <see cref="Collate.Default{T}"/> when null (<c>collate_fn</c>).</param>
    /// <param name="prefetch">Batches prepared ahead on a background thread; 0 loads each batch on the consuming thread.</param>
    /// <exception cref="ArgumentException">An argument is out of range, or <typeparamref name="T"/> has no default collation and no collate function is given.</exception>
    public DataLoader(IterableDataset<T> dataset, int batchSize = 1, bool dropLast = false,
        Func<IReadOnlyList<T>, T>? collate = null, int prefetch = DefaultPrefetch)
        : base(dataset, collate ?? Collate.Default<T>(), batchSize, dropLast, prefetch)
    {
    }
}

/// <summary>
/// Iterates over a data set in batches (<c>torch.utils.data.DataLoader</c>), with a collate
/// function that turns a list of <typeparamref name="TSample"/> into a <typeparamref name="TBatch"/>.
/// Each enumeration (<c>foreach</c>) is one epoch; <see cref="Count"/> is the number of batches.
/// </summary>
/// <typeparam name="TSample">Type of one sample of the data set.</typeparam>
/// <typeparam name="TBatch">Type of one batch.</typeparam>
/// <remarks>
/// <para>
/// Order: with <c>shuffle</c>, each epoch's order is <see cref="Tensor.RandPerm"/> drawn from
/// <see cref="Generator"/> when the enumeration starts; the same seed gives the same epochs in
/// every run, and saving <see cref="GetState"/> between epochs lets a resumed run continue with
/// exactly the orders it would have had. Without <c>shuffle</c> the order is 0, 1, 2, …; an
/// <see cref="IterableDataset{T}"/> is batched in the order it yields.
/// </para>
/// <para>
/// Prefetch: with <c>prefetch</c> &gt; 0, a background thread loads the next batches into a queue
/// of that many while the consumer trains on the current one. Batches come in the same order
/// and with the same values as without prefetch. An exception thrown while loading is rethrown,
/// with its original type and stack, on the consuming thread at the batch where it happened.
/// Leaving the loop early (<c>break</c>, an exception) stops and joins the thread. A random
/// transform in the data set then runs on that thread, beside the training thread: give it its
/// own <see cref="Nabla.Generator"/> rather than <see cref="Nabla.Generator.Default"/>, which
/// dropout and initialisation draw from at the same time (a generator is not thread-safe), or
/// set <c>prefetch: 0</c>.
/// </para>
/// <para>
/// Fast path: when the data set implements <see cref="IBatchDataset{TBatch}"/> (as
/// <see cref="TensorDataset"/> does) and the collate function is the default, each batch is
/// fetched with one call instead of one per sample.
/// </para>
/// </remarks>
public class DataLoader<TSample, TBatch> : IEnumerable<TBatch>
{
    /// <summary>Batches prepared ahead by default: one being consumed, two waiting.</summary>
    public const int DefaultPrefetch = 2;

    private readonly Dataset<TSample>? mapDataset;
    private readonly IterableDataset<TSample>? iterableDataset;
    private readonly Func<IReadOnlyList<TSample>, TBatch> collate;
    private readonly IBatchDataset<TBatch>? batchDataset;

    /// <summary>A loader over a map-style data set that collates with <paramref name="collate"/>.</summary>
    /// <param name="dataset">The samples; held in memory, never re-read per epoch.</param>
    /// <param name="collate">Turns a list of samples into a batch (<c>collate_fn</c>).</param>
    /// <param name="batchSize">Samples per batch (<c>batch_size</c>).</param>
    /// <param name="shuffle">Whether each epoch visits the samples in a new random order (<c>shuffle</c>).</param>
    /// <param name="dropLast">Whether to drop the last batch when it is smaller than <paramref name="batchSize"/> (<c>drop_last</c>).</param>
    /// <param name="generator">Draws the shuffled orders; see <see cref="Generator"/>.</param>
    /// <param name="prefetch">Batches prepared ahead on a background thread; 0 loads each batch on the consuming thread.</param>
    /// <param name="sampler">The indices of an epoch, in order (<c>sampler</c>), e.g. a <c>DistributedSampler</c>; excludes <paramref name="shuffle"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> &lt; 1 or <paramref name="prefetch"/> &lt; 0.</exception>
    /// <exception cref="ArgumentException"><paramref name="shuffle"/> is set with a sampler.</exception>
    public DataLoader(Dataset<TSample> dataset, Func<IReadOnlyList<TSample>, TBatch> collate, int batchSize = 1, bool shuffle = false,
        bool dropLast = false, Generator? generator = null, int prefetch = DefaultPrefetch, IReadOnlyCollection<int>? sampler = null)
        : this(dataset, collate, batchSize, shuffle, dropLast, generator, prefetch, usesDefaultCollate: false, sampler)
    {
    }

    /// <summary>A loader over a stream of samples that collates with <paramref name="collate"/>; it cannot shuffle.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="collate">Turns a list of samples into a batch (<c>collate_fn</c>).</param>
    /// <param name="batchSize">Samples per batch (<c>batch_size</c>).</param>
    /// <param name="dropLast">Whether to drop the last batch when it is smaller than <paramref name="batchSize"/> (<c>drop_last</c>).</param>
    /// <param name="prefetch">Batches prepared ahead on a background thread; 0 loads each batch on the consuming thread.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> &lt; 1 or <paramref name="prefetch"/> &lt; 0.</exception>
    public DataLoader(IterableDataset<TSample> dataset, Func<IReadOnlyList<TSample>, TBatch> collate, int batchSize = 1,
        bool dropLast = false, int prefetch = DefaultPrefetch)
        : this(collate, batchSize, shuffle: false, dropLast, generator: null, prefetch)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        iterableDataset = dataset;
    }

    private protected DataLoader(Dataset<TSample> dataset, Func<IReadOnlyList<TSample>, TBatch> collate, int batchSize, bool shuffle,
        bool dropLast, Generator? generator, int prefetch, bool usesDefaultCollate, IReadOnlyCollection<int>? sampler)
        : this(collate, batchSize, shuffle, dropLast, generator, prefetch)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (sampler is not null && shuffle)
            throw new ArgumentException("DataLoader: sampler option is mutually exclusive with shuffle (the sampler decides the order).", nameof(sampler));
        Sampler = sampler;
        mapDataset = dataset;
        batchDataset = usesDefaultCollate ? dataset as IBatchDataset<TBatch> : null;
    }

    private DataLoader(Func<IReadOnlyList<TSample>, TBatch> collate, int batchSize, bool shuffle, bool dropLast, Generator? generator, int prefetch)
    {
        ArgumentNullException.ThrowIfNull(collate);
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"DataLoader: batchSize must be at least 1, got {batchSize}.");
        }
        if (prefetch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, $"DataLoader: prefetch must be 0 or more, got {prefetch}.");
        }
        this.collate = collate;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Prefetch = prefetch;
        // Like PyTorch, a shuffling loader without its own generator takes its seed from the
        // default one, so Generator.ManualSeed alone makes the shuffling reproducible; a loader
        // that does not shuffle leaves the default generator untouched.
        Generator = generator ?? new Generator(shuffle ? (long)Nabla.Generator.Default.NextUInt64() : 0);
    }

    /// <summary>The samples the batches come from: a <see cref="Dataset{T}"/> or an <see cref="IterableDataset{T}"/>.</summary>
    public IEnumerable<TSample> Dataset => (IEnumerable<TSample>?)mapDataset ?? iterableDataset!;

    /// <summary>Samples per batch; the last batch may be smaller unless <see cref="DropLast"/>.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>The indices of each epoch, in order, when given (<c>sampler</c>); otherwise all samples, shuffled or not.</summary>
    public IReadOnlyCollection<int>? Sampler { get; }

    /// <summary>Whether a last batch smaller than <see cref="BatchSize"/> is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Batches prepared ahead on a background thread (0: none, no thread).</summary>
    public int Prefetch { get; }

    /// <summary>
    /// The generator that draws each epoch's order when <see cref="Shuffle"/> is set: the one
    /// passed to the constructor, or one seeded from <see cref="Nabla.Generator.Default"/> when the
    /// loader is built (only if it shuffles). Each epoch advances it by one permutation.
    /// </summary>
    public Generator Generator { get; }

    /// <summary>Number of batches in an epoch (<c>len(loader)</c>).</summary>
    /// <exception cref="NotSupportedException">The data set is an <see cref="IterableDataset{T}"/> whose length is unknown.</exception>
    public int Count
    {
        get
        {
            int samples = Sampler?.Count ?? mapDataset?.Count ?? iterableDataset!.Count
                ?? throw new NotSupportedException($"DataLoader: {iterableDataset!.GetType().Name} is an IterableDataset without a Count; the number of batches is unknown.");
            return DropLast ? samples / BatchSize : (int)(((long)samples + BatchSize - 1) / BatchSize);
        }
    }

    /// <summary>
    /// The shuffling state (the 32 bytes of <see cref="Generator"/>), to save in a checkpoint
    /// between epochs; <see cref="SetState"/> restores it so that the next epochs' orders are
    /// those the saved run would have drawn.
    /// </summary>
    public byte[] GetState() => Generator.GetState();

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    /// <exception cref="ArgumentException">The state is not 32 bytes.</exception>
    public void SetState(ReadOnlySpan<byte> state) => Generator.SetState(state);

    /// <summary>Starts an epoch: draws its order (when shuffling) and returns its batches.</summary>
    public IEnumerator<TBatch> GetEnumerator()
    {
        // The order is drawn here, on the caller's thread and before any batch is loaded, so the
        // generator advances the same way with or without prefetch.
        IEnumerable<TBatch> batches = mapDataset is not null ? MapBatches(mapDataset, Order(mapDataset)) : StreamBatches(iterableDataset!);
        return Prefetch == 0 ? batches.GetEnumerator() : Prefetched(batches);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int[] Order(Dataset<TSample> dataset)
    {
        if (Sampler is not null)
        {
            var indices = Sampler.ToArray();
            foreach (int index in indices)
                if ((uint)index >= (uint)dataset.Count)
                    throw new ArgumentOutOfRangeException(nameof(Sampler), index, $"DataLoader: the sampler gave index {index}, outside the data set's {dataset.Count} samples.");
            return indices;
        }
        int count = dataset.Count;
        if (!Shuffle)
        {
            var identity = new int[count];
            for (int i = 0; i < count; i++)
            {
                identity[i] = i;
            }
            return identity;
        }
        return Tensor.RandPerm(count, Generator, DType.Int32).ToArray<int>();
    }

    private IEnumerable<TBatch> MapBatches(Dataset<TSample> dataset, int[] order)
    {
        int batchCount = DropLast ? order.Length / BatchSize : (order.Length + BatchSize - 1) / BatchSize;
        for (int batch = 0; batch < batchCount; batch++)
        {
            int start = batch * BatchSize;
            int length = Math.Min(BatchSize, order.Length - start);
            if (batchDataset is not null)
            {
                yield return batchDataset.GetBatch(order.AsSpan(start, length));
                continue;
            }
            var samples = new TSample[length];
            for (int i = 0; i < length; i++)
            {
                samples[i] = dataset[order[start + i]];
            }
            yield return collate(samples);
        }
    }

    private IEnumerable<TBatch> StreamBatches(IterableDataset<TSample> dataset)
    {
        var samples = new List<TSample>(BatchSize);
        foreach (TSample sample in dataset)
        {
            samples.Add(sample);
            if (samples.Count == BatchSize)
            {
                yield return collate(samples.ToArray());
                samples.Clear();
            }
        }
        if (samples.Count > 0 && !DropLast)
        {
            yield return collate(samples.ToArray());
        }
    }

    // One loaded batch, or the exception that loading it threw.
    private readonly record struct Loaded(TBatch? Batch, ExceptionDispatchInfo? Error);

    private IEnumerator<TBatch> Prefetched(IEnumerable<TBatch> batches)
    {
        using var queue = new BlockingCollection<Loaded>(Prefetch);
        using var stop = new CancellationTokenSource();
        var worker = new Thread(() => Produce(batches, queue, stop.Token))
        {
            IsBackground = true,
            Name = "Nabla.DataLoader prefetch",
        };
        worker.Start();
        try
        {
            foreach (Loaded loaded in queue.GetConsumingEnumerable())
            {
                loaded.Error?.Throw();
                yield return loaded.Batch!;
            }
        }
        finally
        {
            // Runs on normal completion, on break (the enumerator is disposed) and on exceptions:
            // the worker stops at its next batch or wakes from a full queue, and is joined.
            stop.Cancel();
            worker.Join();
        }
    }

    private static void Produce(IEnumerable<TBatch> batches, BlockingCollection<Loaded> queue, CancellationToken stop)
    {
        try
        {
            // Batches are data: no graph is recorded for them (GradMode is per thread).
            using (Autograd.NoGrad())
            {
                using IEnumerator<TBatch> enumerator = batches.GetEnumerator();
                while (!stop.IsCancellationRequested && enumerator.MoveNext())
                {
                    queue.Add(new Loaded(enumerator.Current, null), stop);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The consumer left early; nobody waits for the remaining batches.
        }
        catch (Exception exception)
        {
            // Everything a data set or collate function throws goes to the consumer: an exception
            // escaping a thread would end the process.
            try
            {
                queue.Add(new Loaded(default, ExceptionDispatchInfo.Capture(exception)), stop);
            }
            catch (OperationCanceledException)
            {
            }
        }
        finally
        {
            queue.CompleteAdding();
        }
    }
}
