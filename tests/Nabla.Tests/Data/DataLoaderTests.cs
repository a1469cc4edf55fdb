using Nabla.Data;
using Nabla.Tests.TestSupport;

namespace Nabla.Tests.Data;

public class DataLoaderTests
{
    // Sample i is (x = [i, 10 i], y = i): the values tell which samples a batch holds.
    private static TensorDataset Numbered(int count)
    {
        var features = new float[count * 2];
        var labels = new long[count];
        for (int i = 0; i < count; i++)
        {
            features[2 * i] = i;
            features[2 * i + 1] = 10 * i;
            labels[i] = i;
        }
        return new TensorDataset(Tensor.From(features, count, 2), Tensor.From(labels));
    }

    // The same samples, through the generic per-sample path (no IBatchDataset).
    private sealed class NumberedPairs(int count) : Dataset<(Tensor, Tensor)>
    {
        public int Fetches;

        public override int Count => count;

        public override (Tensor, Tensor) this[int index]
        {
            get
            {
                CheckIndex(index);
                Interlocked.Increment(ref Fetches);
                return (Tensor.From(new float[] { index, 10 * index }), Tensor.From((long)index));
            }
        }
    }

    private sealed class Failing(int count, int failAt) : Dataset<Tensor>
    {
        public int? FailingThread;

        public override int Count => count;

        public override Tensor this[int index]
        {
            get
            {
                if (index == failAt)
                {
                    FailingThread = Environment.CurrentManagedThreadId;
                    throw new InvalidOperationException($"sample {index} is corrupt");
                }
                return Tensor.From((long)index);
            }
        }
    }

    private static List<long[]> Labels(IEnumerable<Tensor[]> loader) => loader.Select(batch => batch[1].ToArray<long>()).ToList();

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Batches_have_batchSize_samples_and_a_partial_last_batch(int prefetch)
    {
        var loader = new DataLoader<Tensor[]>(Numbered(10), batchSize: 4, prefetch: prefetch);

        List<Tensor[]> batches = loader.ToList();

        Assert.Equal(3, loader.Count);
        Assert.Equal(3, batches.Count);
        Assert.Equal([4, 2], batches[0][0].Shape.ToArray());
        Assert.Equal([4], batches[0][1].Shape.ToArray());
        Assert.Equal([2, 2], batches[2][0].Shape.ToArray());
        Assert.Equal(new long[] { 0, 1, 2, 3 }, batches[0][1].ToArray<long>());
        Assert.Equal(new long[] { 8, 9 }, batches[2][1].ToArray<long>());
        Assert.Equal(new float[] { 8, 80, 9, 90 }, batches[2][0].ToArray<float>());
    }

    [Fact]
    public void DropLast_drops_the_partial_batch_and_Count_agrees()
    {
        var loader = new DataLoader<Tensor[]>(Numbered(10), batchSize: 4, dropLast: true);

        List<long[]> labels = Labels(loader);

        Assert.Equal(2, loader.Count);
        Assert.Equal([new long[] { 0, 1, 2, 3 }, [4, 5, 6, 7]], labels);
    }

    [Theory]
    [InlineData(10, 5, false, 2)]
    [InlineData(10, 5, true, 2)]
    [InlineData(11, 5, false, 3)]
    [InlineData(11, 5, true, 2)]
    [InlineData(3, 5, false, 1)]
    [InlineData(3, 5, true, 0)]
    [InlineData(0, 5, false, 0)]
    public void Count_is_the_number_of_batches(int samples, int batchSize, bool dropLast, int expected)
    {
        var loader = new DataLoader<(Tensor, Tensor)>(new NumberedPairs(samples), batchSize, dropLast: dropLast);

        Assert.Equal(expected, loader.Count);
        Assert.Equal(expected, loader.Count());
    }

    [Fact]
    public void Seeded_shuffle_is_reproducible_across_runs_and_differs_between_epochs()
    {
        List<long[]> Epochs(int seed)
        {
            var loader = new DataLoader<Tensor[]>(Numbered(50), batchSize: 50, shuffle: true, generator: new Generator(seed));
            return [Labels(loader)[0], Labels(loader)[0], Labels(loader)[0]];
        }

        List<long[]> run1 = Epochs(42), run2 = Epochs(42), other = Epochs(43);

        Assert.Equal(run1, run2);
        Assert.NotEqual(run1[0], run1[1]);
        Assert.NotEqual(run1[1], run1[2]);
        Assert.NotEqual(run1[0], other[0]);
        Assert.NotEqual(Enumerable.Range(0, 50).Select(i => (long)i).ToArray(), run1[0]);
    }

    [Fact]
    public void Shuffled_order_is_RandPerm_of_the_generator()
    {
        var loader = new DataLoader<Tensor[]>(Numbered(20), batchSize: 20, shuffle: true, generator: new Generator(7));

        long[] order = Labels(loader)[0];

        Assert.Equal(Tensor.RandPerm(20, new Generator(7)).ToArray<long>(), order);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Every_sample_appears_exactly_once_per_epoch(int prefetch)
    {
        var loader = new DataLoader<Tensor[]>(Numbered(103), batchSize: 8, shuffle: true, generator: new Generator(1), prefetch: prefetch);

        for (int epoch = 0; epoch < 3; epoch++)
        {
            long[] seen = Labels(loader).SelectMany(labels => labels).Order().ToArray();
            Assert.Equal(Enumerable.Range(0, 103).Select(i => (long)i).ToArray(), seen);
        }
    }

    [Fact]
    public void Features_stay_with_their_labels_when_shuffled()
    {
        var loader = new DataLoader<Tensor[]>(Numbered(30), batchSize: 7, shuffle: true, generator: new Generator(3));

        foreach (Tensor[] batch in loader)
        {
            float[] features = batch[0].ToArray<float>();
            long[] labels = batch[1].ToArray<long>();
            for (int i = 0; i < labels.Length; i++)
            {
                Assert.Equal(labels[i], (long)features[2 * i]);
                Assert.Equal(10 * labels[i], (long)features[2 * i + 1]);
            }
        }
    }

    [Fact]
    public void Prefetch_yields_the_same_batches_as_no_prefetch()
    {
        var direct = new DataLoader<(Tensor, Tensor)>(new NumberedPairs(57), batchSize: 5, shuffle: true, generator: new Generator(9), prefetch: 0);
        var prefetched = new DataLoader<(Tensor, Tensor)>(new NumberedPairs(57), batchSize: 5, shuffle: true, generator: new Generator(9), prefetch: 2);

        for (int epoch = 0; epoch < 2; epoch++)
        {
            var expected = direct.ToList();
            var actual = prefetched.ToList();
            Assert.Equal(expected.Count, actual.Count);
            for (int b = 0; b < expected.Count; b++)
            {
                Assert.Equal(expected[b].Item1.Shape, actual[b].Item1.Shape);
                Assert.Equal(expected[b].Item1.ToArray<float>(), actual[b].Item1.ToArray<float>());
                Assert.Equal(expected[b].Item2.ToArray<long>(), actual[b].Item2.ToArray<long>());
            }
        }
    }

    [Fact]
    public void Fast_path_equals_stacking_single_samples()
    {
        TensorDataset dataset = Numbered(23);
        var fast = new DataLoader<Tensor[]>(dataset, batchSize: 6, shuffle: true, generator: new Generator(5));
        var stacked = new DataLoader<Tensor[]>(dataset, batchSize: 6, shuffle: true, generator: new Generator(5), collate: Collate.StackEach);

        var expected = stacked.ToList();
        var actual = fast.ToList();

        Assert.Equal(expected.Count, actual.Count);
        for (int b = 0; b < expected.Count; b++)
        {
            Assert.Equal(expected[b][0].Shape, actual[b][0].Shape);
            Assert.Equal(expected[b][0].ToArray<float>(), actual[b][0].ToArray<float>());
            Assert.Equal(expected[b][1].ToArray<long>(), actual[b][1].ToArray<long>());
        }
    }

    [Fact]
    public void Default_collate_stacks_pairs_into_a_batch_dimension()
    {
        var loader = new DataLoader<(Tensor, Tensor)>(new NumberedPairs(6), batchSize: 4, prefetch: 0);

        var (x, y) = loader.First();

        Assert.Equal([4, 2], x.Shape.ToArray());
        Assert.Equal([4], y.Shape.ToArray());
        Assert.Equal(DType.Int64, y.DType);
        Assert.Equal(new float[] { 0, 0, 1, 10, 2, 20, 3, 30 }, x.ToArray<float>());
    }

    [Fact]
    public void Custom_collate_builds_another_batch_type()
    {
        var loader = new DataLoader<(Tensor, Tensor), long>(
            new NumberedPairs(10), samples => samples.Sum(s => s.Item2.Item<long>()), batchSize: 5);

        Assert.Equal(new long[] { 0 + 1 + 2 + 3 + 4, 5 + 6 + 7 + 8 + 9 }, loader.ToArray());
    }

    [Fact]
    public void Samples_without_a_default_collation_need_a_collate_function()
    {
        var exception = Assert.Throws<ArgumentException>(() => Collate.Default<string>());

        Assert.Contains("String", exception.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void An_exception_in_the_dataset_surfaces_on_the_consumer_thread(int prefetch)
    {
        var dataset = new Failing(count: 20, failAt: 13);
        var loader = new DataLoader<Tensor>(dataset, batchSize: 4, prefetch: prefetch);
        int consumer = Environment.CurrentManagedThreadId;
        int batchesBefore = 0;

        var exception = Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (Tensor batch in loader)
            {
                batchesBefore++;
            }
        });

        Assert.Equal("sample 13 is corrupt", exception.Message);
        Assert.Equal(3, batchesBefore);
        Assert.Equal(prefetch == 0, dataset.FailingThread == consumer);
    }

    [Fact]
    public async Task Breaking_out_early_stops_the_worker_without_hanging()
    {
        var dataset = new NumberedPairs(10_000);
        var loader = new DataLoader<(Tensor, Tensor)>(dataset, batchSize: 10, prefetch: 2);

        var run = Task.Run(() =>
        {
            for (int epoch = 0; epoch < 20; epoch++)
            {
                foreach (var batch in loader)
                {
                    break;
                }
            }
        });

        // WaitAsync throws TimeoutException if breaking out of a prefetching loader hangs.
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        // The worker stopped after at most the batch it was loading plus a full queue.
        Assert.True(dataset.Fetches <= 20 * 10 * (1 + 2 + 1), $"{dataset.Fetches} samples fetched for 20 single-batch epochs");
    }

    [Fact]
    public void Generator_state_restores_the_next_epochs_order()
    {
        var loader = new DataLoader<Tensor[]>(Numbered(40), batchSize: 40, shuffle: true, generator: new Generator(11));
        _ = loader.ToList();
        byte[] state = loader.GetState();
        long[] next = Labels(loader)[0];

        var resumed = new DataLoader<Tensor[]>(Numbered(40), batchSize: 40, shuffle: true, generator: new Generator(999));
        resumed.SetState(state);

        Assert.Equal(next, Labels(resumed)[0]);
    }

    [Fact]
    public void Invalid_arguments_are_rejected_with_their_names()
    {
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader<Tensor[]>(Numbered(3), batchSize: 0)).ParamName);
        Assert.Equal("prefetch", Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader<Tensor[]>(Numbered(3), prefetch: -1)).ParamName);
    }
}

// Seeds the process-wide default generator, so it runs alone, not beside tests that draw from it.
[Collection(DefaultGeneratorCollection.Name)]
public class DataLoaderDefaultGeneratorTests
{
    private static long[] FirstEpoch()
    {
        var dataset = new TensorDataset(Tensor.Arange(30));
        return new DataLoader<Tensor[]>(dataset, batchSize: 30, shuffle: true).First()[0].ToArray<long>();
    }

    [Fact]
    public void Without_a_generator_shuffling_follows_ManualSeed()
    {
        Generator.ManualSeed(123);
        long[] first = FirstEpoch();
        Generator.ManualSeed(123);
        long[] second = FirstEpoch();

        Assert.Equal(first, second);
    }
}
