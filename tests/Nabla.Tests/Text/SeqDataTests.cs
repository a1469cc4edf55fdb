using Nabla.Text;

namespace Nabla.Tests.Text;

/// <summary>d2l's language-model minibatch samplers on the corpus 0, 1, …, n − 1, where a value is its position.</summary>
public class SeqDataTests
{
    static readonly int[] Corpus = [.. Enumerable.Range(0, 35)];

    static long[,] Rows(Tensor t)
    {
        var values = t.ToArray<long>();
        var rows = new long[t.Size(0), t.Size(1)];
        for (int i = 0; i < values.Length; i++) rows[i / t.Size(1), i % t.Size(1)] = values[i];
        return rows;
    }

    [Fact]
    public void Random_iter_yields_disjoint_shuffled_subsequences_with_targets_shifted_by_one()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var batches = SeqData.SeqDataIterRandom(Corpus, batchSize: 2, numSteps: 5, new Generator(seed)).ToList();
            var starts = new List<long>();
            foreach (var (x, y) in batches)
            {
                Assert.Equal([2, 5], x.Shape.Dims.ToArray());
                Assert.Equal(DType.Int64, x.DType);
                Assert.Equal((x + 1).ToArray<long>(), y.ToArray<long>());
                var rows = Rows(x);
                for (int r = 0; r < 2; r++)
                {
                    for (int t = 1; t < 5; t++) Assert.Equal(rows[r, 0] + t, rows[r, t]); // contiguous
                    starts.Add(rows[r, 0]);
                }
            }
            // Offset in [0, 4]; (35 − offset − 1) / 5 subsequences (6 or 5) → 3 or 2 minibatches.
            long offset = starts.Min() % 5;
            int subsequences = (35 - (int)offset - 1) / 5;
            Assert.Equal(subsequences / 2, batches.Count);
            Assert.All(starts, s => Assert.Equal(offset, s % 5));
            Assert.Equal(starts.Count, starts.Distinct().Count());
        }
    }

    [Fact]
    public void Random_iter_covers_every_start_and_shuffles()
    {
        var corpus = Enumerable.Range(0, 1001).ToArray(); // (1001 − offset − 1) / 10 = 100 subsequences at offset 0
        bool shuffled = false;
        for (int seed = 0; seed < 10; seed++)
        {
            var starts = SeqData.SeqDataIterRandom(corpus, 4, 10, new Generator(seed))
                .SelectMany(b => Enumerable.Range(0, 4).Select(r => Rows(b.X)[r, 0])).ToList();
            long offset = starts.Min();
            Assert.InRange(offset, 0, 9);
            int expected = (1001 - (int)offset - 1) / 10 / 4 * 4;
            Assert.Equal(expected, starts.Count);
            Assert.Equal(expected, starts.Distinct().Count());
            if (offset == 0) Assert.Equal(Enumerable.Range(0, 100).Select(k => 10L * k), starts.Order());
            shuffled |= !starts.SequenceEqual(starts.Order());
        }
        Assert.True(shuffled);
    }

    [Fact]
    public void Sequential_iter_continues_each_row_in_the_next_minibatch()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var batches = SeqData.SeqDataIterSequential(Corpus, batchSize: 2, numSteps: 5, new Generator(seed)).ToList();
            long offset = Rows(batches[0].X)[0, 0];
            Assert.InRange(offset, 0, 5);
            int rowLength = (35 - (int)offset - 1) / 2;
            Assert.Equal(rowLength / 5, batches.Count);
            for (int b = 0; b < batches.Count; b++)
            {
                var (x, y) = batches[b];
                Assert.Equal([2, 5], x.Shape.Dims.ToArray());
                Assert.Equal((x + 1).ToArray<long>(), y.ToArray<long>());
                var rows = Rows(x);
                for (int r = 0; r < 2; r++)
                    for (int t = 0; t < 5; t++)
                        Assert.Equal(offset + r * rowLength + b * 5 + t, rows[r, t]);
                if (b > 0)
                {
                    var previous = Rows(batches[b - 1].X);
                    for (int r = 0; r < 2; r++) Assert.Equal(previous[r, 4] + 1, rows[r, 0]); // continuity
                }
            }
        }
    }

    [Fact]
    public void Same_seed_gives_same_minibatches_and_each_epoch_draws_anew()
    {
        var (data, vocab) = TimeMachine.LoadData(batchSize: 32, numSteps: 35, useRandomIter: true, generator: new Generator(3));
        var (again, _) = TimeMachine.LoadData(batchSize: 32, numSteps: 35, useRandomIter: true, generator: new Generator(3));
        Assert.Equal(28, vocab.Count);
        var first = data.Select(b => b.X.ToArray<long>()).ToList();
        Assert.Equal(first, again.Select(b => b.X.ToArray<long>()).ToList());
        Assert.NotEqual(first, data.Select(b => b.X.ToArray<long>()).ToList()); // second epoch
        Assert.InRange(first.Count, 8, 8); // ⌊⌊(10 000 − offset − 1) / 35⌋ / 32⌋ = 8 for every offset
        Assert.All(first, x => Assert.All(x, v => Assert.InRange(v, 1, 27)));

        var (sequential, _) = TimeMachine.LoadData(batchSize: 32, numSteps: 35, generator: new Generator(3));
        Assert.Equal(8, sequential.Count());
    }

    [Fact]
    public void Bad_sizes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => SeqData.SeqDataIterRandom(Corpus, 0, 5));
        Assert.Throws<ArgumentException>(() => new SeqDataLoader(Corpus, 2, 0));
        Assert.Empty(SeqData.SeqDataIterSequential([1, 2, 3], 2, 5));
    }
}
