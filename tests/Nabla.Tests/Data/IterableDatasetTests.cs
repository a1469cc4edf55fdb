using Nabla.Data;

namespace Nabla.Tests.Data;

public class IterableDatasetTests
{
    // Yields 0, 1, …, count − 1 as 0-dim Int64 tensors; counts how epochs end.
    private sealed class Counting(int count, bool knownCount = false, int failAt = -1) : IterableDataset<Tensor>
    {
        public int Finished;

        public override int? Count => knownCount ? count : null;

        public override IEnumerator<Tensor> GetEnumerator()
        {
            try
            {
                for (int i = 0; i < count; i++)
                {
                    if (i == failAt)
                    {
                        throw new InvalidDataException($"record {i} is corrupt");
                    }
                    yield return Tensor.From((long)i);
                }
            }
            finally
            {
                Interlocked.Increment(ref Finished);
            }
        }
    }

    private static List<long[]> Values(IEnumerable<Tensor> loader) => loader.Select(batch => batch.ToArray<long>()).ToList();

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Samples_are_batched_in_stream_order_with_a_partial_last_batch(int prefetch)
    {
        var loader = new DataLoader<Tensor>(new Counting(7), batchSize: 3, prefetch: prefetch);

        Assert.Equal([new long[] { 0, 1, 2 }, [3, 4, 5], [6]], Values(loader));
        Assert.Equal([new long[] { 0, 1, 2 }, [3, 4, 5], [6]], Values(loader));
    }

    [Fact]
    public void DropLast_drops_the_partial_batch()
    {
        var loader = new DataLoader<Tensor>(new Counting(7), batchSize: 3, dropLast: true);

        Assert.Equal([new long[] { 0, 1, 2 }, [3, 4, 5]], Values(loader));
    }

    [Fact]
    public void Count_is_known_only_when_the_stream_knows_its_length()
    {
        Assert.Equal(3, new DataLoader<Tensor>(new Counting(7, knownCount: true), batchSize: 3).Count);
        Assert.Throws<NotSupportedException>(() => new DataLoader<Tensor>(new Counting(7), batchSize: 3).Count);
    }

    [Fact]
    public void An_exception_in_the_stream_surfaces_on_the_consumer()
    {
        var loader = new DataLoader<Tensor>(new Counting(10, failAt: 5), batchSize: 2, prefetch: 2);
        var batches = new List<long[]>();

        var exception = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (Tensor batch in loader)
            {
                batches.Add(batch.ToArray<long>());
            }
        });

        Assert.Equal("record 5 is corrupt", exception.Message);
        Assert.Equal([new long[] { 0, 1 }, [2, 3]], batches);
    }

    [Fact]
    public async Task Breaking_out_early_ends_the_stream_epoch()
    {
        var dataset = new Counting(100_000);
        var loader = new DataLoader<Tensor>(dataset, batchSize: 4, prefetch: 2);

        await Task.Run(() =>
        {
            for (int epoch = 0; epoch < 5; epoch++)
            {
                foreach (Tensor batch in loader)
                {
                    break;
                }
            }
        }).WaitAsync(TimeSpan.FromSeconds(10));

        // The worker disposed each epoch's enumerator, running the stream's finally block.
        Assert.Equal(5, dataset.Finished);
    }
}
