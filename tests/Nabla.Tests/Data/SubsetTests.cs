using Nabla.Data;

namespace Nabla.Tests.Data;

public class SubsetTests
{
    private static TensorDataset Numbered(int count) => new(Tensor.Arange(count), Tensor.Arange(count) * 10);

    [Fact]
    public void Subset_maps_indices_and_batches_through_the_fast_path()
    {
        var subset = new Subset<Tensor[]>(Numbered(10), [7, 2, 5]);

        Assert.Equal(3, subset.Count);
        Assert.Equal(2L, subset[1][0].Item<long>());
        Tensor[] batch = subset.GetBatch([2, 0]);
        Assert.Equal(new long[] { 5, 7 }, batch[0].ToArray<long>());
        Assert.Equal(new long[] { 50, 70 }, batch[1].ToArray<long>());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Subset<Tensor[]>(Numbered(10), [10]));
    }

    [Fact]
    public void RandomSplit_partitions_the_samples_reproducibly()
    {
        var dataset = Numbered(100);

        Subset<Tensor[]>[] split = Dataset.RandomSplit(dataset, [80, 20], new Generator(4));
        Subset<Tensor[]>[] again = Dataset.RandomSplit(dataset, [80, 20], new Generator(4));

        Assert.Equal(80, split[0].Count);
        Assert.Equal(20, split[1].Count);
        Assert.Equal(Enumerable.Range(0, 100), split[0].Indices.Concat(split[1].Indices).Order());
        Assert.Equal(split[1].Indices, again[1].Indices);
        Assert.Throws<ArgumentException>(() => Dataset.RandomSplit(dataset, [80, 30]));
    }

    [Fact]
    public void A_loader_over_a_subset_visits_only_its_samples()
    {
        var subset = new Subset<Tensor[]>(Numbered(50), Enumerable.Range(10, 15).ToArray());
        var loader = new DataLoader<Tensor[]>(subset, batchSize: 4, shuffle: true, generator: new Generator(2));

        long[] seen = loader.SelectMany(batch => batch[0].ToArray<long>()).Order().ToArray();

        Assert.Equal(4, loader.Count);
        Assert.Equal(Enumerable.Range(10, 15).Select(i => (long)i), seen);
    }
}
