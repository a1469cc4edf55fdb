using Nabla.Data;
using Nabla.Distributed;

namespace Nabla.Tests.Distributed;

public sealed class DistributedSamplerTests
{
    [Fact]
    public void Without_shuffle_each_rank_takes_every_nth_index_padded_from_the_start_as_pytorch()
    {
        // torch.utils.data.distributed.DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False)
        int[][] expected = [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]];
        for (int rank = 0; rank < 3; rank++)
        {
            var sampler = new DistributedSampler(10, numReplicas: 3, rank: rank, shuffle: false);
            Assert.Equal(4, sampler.Count);
            Assert.Equal(expected[rank], sampler.ToArray());
        }
    }

    [Fact]
    public void DropLast_cuts_the_order_to_a_multiple_of_the_replicas()
    {
        var shares = Enumerable.Range(0, 3).Select(r => new DistributedSampler(10, 3, r, shuffle: false, dropLast: true).ToArray()).ToArray();
        Assert.Equal([[0, 3, 6], [1, 4, 7], [2, 5, 8]], shares);
    }

    [Fact]
    public void Shuffled_shares_are_disjoint_cover_the_data_and_change_with_the_epoch_only()
    {
        int[] Share(int rank, int epoch, long seed = 5)
        {
            var sampler = new DistributedSampler(12, 2, rank, seed: seed);
            sampler.SetEpoch(epoch);
            return [.. sampler];
        }
        var epoch0 = Share(0, 0).Concat(Share(1, 0)).ToArray();
        Assert.Equal(Enumerable.Range(0, 12), epoch0.Order());
        Assert.Equal(Share(0, 0), Share(0, 0));
        Assert.NotEqual(Share(0, 0), Share(0, 1));
        Assert.NotEqual(Share(0, 0), Share(0, 0, seed: 6));
        // One replica gives the epoch's whole order: the shares of N replicas interleave it.
        var whole = new DistributedSampler(12, 1, 0, seed: 5).ToArray();
        Assert.Equal(whole.Where((_, i) => i % 2 == 1), Share(1, 0));
    }

    [Fact]
    public void Batch_shares_give_each_rank_its_consecutive_slice_of_every_global_batch()
    {
        // Global batches of 1 + 3 = 4 from 0 … 9 without shuffle: [0 1 2 3] [4 5 6 7], the rest dropped.
        var first = new DistributedSampler(10, 2, 0, shuffle: false);
        var second = new DistributedSampler(10, 2, 1, shuffle: false);
        first.SetBatchShares([1, 3]);
        second.SetBatchShares([1, 3]);
        Assert.Equal([0, 4], first.ToArray());
        Assert.Equal([1, 2, 3, 5, 6, 7], second.ToArray());
        Assert.Equal(6, second.Count);
        Assert.Throws<ArgumentException>(() => first.SetBatchShares([4]));
        Assert.Throws<ArgumentException>(() => first.SetBatchShares([0, 4]));
    }

    [Fact]
    public void A_rank_outside_the_replicas_is_rejected()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, numReplicas: 2, rank: 2));
        Assert.Contains("rank must be in 0 … 1, got 2", error.Message);
    }

    [Fact]
    public void DataLoader_batches_follow_the_sampler_and_count_its_indices()
    {
        var dataset = new TensorDataset(Tensor.Arange(10).Reshape(10, 1));
        var loader = new DataLoader<Tensor[]>(dataset, batchSize: 3, sampler: new DistributedSampler(10, 2, 1, shuffle: false), prefetch: 0);
        Assert.Equal(2, loader.Count);
        var batches = loader.Select(b => b[0].ToArray<long>()).ToArray();
        Assert.Equal([[1L, 3, 5], [7L, 9]], batches);
    }

    [Fact]
    public void DataLoader_rejects_shuffle_together_with_a_sampler()
    {
        var dataset = new TensorDataset(Tensor.Arange(4));
        var error = Assert.Throws<ArgumentException>(() => new DataLoader<Tensor[]>(dataset, shuffle: true, sampler: new DistributedSampler(4, 1, 0)));
        Assert.Contains("mutually exclusive with shuffle", error.Message);
    }
}
