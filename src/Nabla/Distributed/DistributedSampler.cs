using System.Collections;

namespace Nabla.Distributed;

/// <summary>
/// The sample indices of one rank's share of a data set (<c>torch.utils.data.distributed.DistributedSampler</c>),
/// for a <see cref="Data.DataLoader{T}"/>'s <c>sampler</c>. Each epoch's order is a permutation drawn
/// from <c>seed + epoch</c> (the same on every rank, so the shares never overlap; call
/// <see cref="SetEpoch"/> before each epoch), padded by repeating its first indices to a multiple of
/// the number of replicas (or cut to one, with <c>dropLast</c>), and rank r takes every
/// <c>numReplicas</c>-th index from position r. Every rank thus gets the same number of samples, hence
/// of steps, which the collectives need.
/// </summary>
/// <remarks>
/// With batch b per rank, step s of rank r holds the samples at positions r, r + N, r + 2N, … of the
/// step's N·b indices of the epoch's order: the ranks together see the same batches as one process
/// with batch N·b, in the same order, whose mean gradient equals the average of the ranks'.
/// </remarks>
public sealed class DistributedSampler : IReadOnlyCollection<int>
{
    int epoch;
    int[]? shares;

    /// <summary>A sampler over <paramref name="datasetLength"/> samples for one rank.</summary>
    /// <param name="datasetLength">The number of samples in the data set (<c>len(dataset)</c>).</param>
    /// <param name="numReplicas">The number of ranks; <see cref="Distributed.WorldSize"/> when null.</param>
    /// <param name="rank">This rank; <see cref="Distributed.Rank"/> when null.</param>
    /// <param name="shuffle">Draw a new order each epoch (<c>shuffle</c>, true); otherwise 0, 1, 2, ….</param>
    /// <param name="seed">Seed of the orders, which must be the same on every rank (<c>seed</c>).</param>
    /// <param name="dropLast">Cut the order to a multiple of <paramref name="numReplicas"/> instead of padding it (<c>drop_last</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative, or <paramref name="rank"/> is not in 0 … numReplicas − 1.</exception>
    /// <exception cref="InvalidOperationException">numReplicas or rank is null and <see cref="Distributed.Init"/> has not been called.</exception>
    public DistributedSampler(int datasetLength, int? numReplicas = null, int? rank = null, bool shuffle = true, long seed = 0, bool dropLast = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(datasetLength);
        NumReplicas = numReplicas ?? Distributed.WorldSize;
        Rank = rank ?? Distributed.Rank;
        if (NumReplicas < 1) throw new ArgumentOutOfRangeException(nameof(numReplicas), NumReplicas, "DistributedSampler: numReplicas must be at least 1.");
        if (Rank < 0 || Rank >= NumReplicas)
            throw new ArgumentOutOfRangeException(nameof(rank), Rank, $"DistributedSampler: rank must be in 0 … {NumReplicas - 1}, got {Rank}.");
        DatasetLength = datasetLength;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
    }

    /// <summary>The number of samples in the data set.</summary>
    public int DatasetLength { get; }

    /// <summary>The number of ranks sharing the data set.</summary>
    public int NumReplicas { get; }

    /// <summary>The rank whose share this is.</summary>
    public int Rank { get; }

    /// <summary>Whether each epoch has a new order.</summary>
    public bool Shuffle { get; }

    /// <summary>The seed of the orders.</summary>
    public long Seed { get; }

    /// <summary>Whether the order is cut (rather than padded) to a multiple of <see cref="NumReplicas"/>.</summary>
    public bool DropLast { get; }

    /// <summary>The number of indices this rank gets per epoch (<c>len(sampler)</c>); the same on every rank unless shares are set.</summary>
    public int Count => shares is { } s ? DatasetLength / s.Sum() * s[Rank]
        : DropLast ? DatasetLength / NumReplicas : (DatasetLength + NumReplicas - 1) / NumReplicas;

    /// <summary>The samples each rank takes from every global batch, when set by <see cref="SetBatchShares"/>; otherwise null.</summary>
    public IReadOnlyList<int>? BatchShares => shares;

    /// <summary>
    /// Splits every global batch unevenly (for ranks of unequal speed): the epoch's order is cut into
    /// global batches of Σ <paramref name="batchShares"/> samples (a last, smaller one is dropped), and
    /// rank r takes <c>batchShares[r]</c> consecutive samples of each, after those of the ranks before it.
    /// This rank's loader must then use batch size <c>batchShares[Rank]</c>, and its gradient count with weight
    /// <c>batchShares[Rank] / Σ batchShares</c> (<see cref="DistributedDataParallel.GradientWeight"/>) for the
    /// update to equal the global batch's.
    /// </summary>
    /// <exception cref="ArgumentException">Not one share per replica, or a share below 1.</exception>
    public void SetBatchShares(IReadOnlyList<int> batchShares)
    {
        ArgumentNullException.ThrowIfNull(batchShares);
        if (batchShares.Count != NumReplicas || batchShares.Any(share => share < 1))
            throw new ArgumentException($"DistributedSampler.SetBatchShares: one share of at least 1 per replica ({NumReplicas}) is needed, got [{string.Join(", ", batchShares)}].", nameof(batchShares));
        shares = [.. batchShares];
    }

    /// <summary>The epoch whose order <see cref="GetEnumerator"/> gives.</summary>
    public int Epoch => epoch;

    /// <summary>Chooses the epoch, and so the order (<c>set_epoch</c>); call it with the same value on every rank before each epoch.</summary>
    public void SetEpoch(int epoch) => this.epoch = epoch;

    /// <summary>This rank's indices for the current epoch.</summary>
    public IEnumerator<int> GetEnumerator()
    {
        var order = Shuffle
            ? Tensor.RandPerm(DatasetLength, new Generator(Seed + epoch), DType.Int32).ToArray<int>()
            : Enumerable.Range(0, DatasetLength).ToArray();
        if (shares is { } split)
        {
            int global = split.Sum(), start = split.Take(Rank).Sum();
            for (int step = 0; step < DatasetLength / global; step++)
                for (int j = 0; j < split[Rank]; j++)
                    yield return order[step * global + start + j];
            yield break;
        }
        for (int i = 0; i < Count; i++)
        {
            int position = Rank + i * NumReplicas;
            // Padding repeats the order from its start (the order may be shorter than the padding).
            yield return order.Length == 0 ? 0 : order[position < order.Length ? position : (position - order.Length) % order.Length];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
