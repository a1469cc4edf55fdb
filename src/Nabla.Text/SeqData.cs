namespace Nabla.Text;

/// <summary>
/// Minibatches for language models from one long token sequence, exactly as d2l defines them
/// (§8.3.4). Each minibatch is (X, Y): Int64 tensors [batchSize, numSteps] where Y is X shifted by
/// one token. Random offsets and shuffles come from a Nabla <see cref="Generator"/>.
/// </summary>
public static class SeqData
{
    /// <summary>
    /// Random partitioning (<c>seq_data_iter_random</c>): drop a random offset in [0, numSteps − 1],
    /// cut the rest into ⌊(len − 1) / numSteps⌋ subsequences, shuffle their start positions, and
    /// yield ⌊subsequences / batchSize⌋ minibatches of batchSize of them. Subsequences of
    /// consecutive minibatches are not adjacent in the corpus.
    /// </summary>
    public static IEnumerable<(Tensor X, Tensor Y)> SeqDataIterRandom(IReadOnlyList<int> corpus, int batchSize, int numSteps, Generator? generator = null)
    {
        Check(corpus, batchSize, numSteps, "SeqDataIterRandom");
        return Iterate();

        IEnumerable<(Tensor X, Tensor Y)> Iterate()
        {
            var random = generator ?? Generator.Default;
            int offset = (int)random.NextInt64(numSteps); // random.randint(0, num_steps - 1)
            int subsequences = (corpus.Count - offset - 1) / numSteps;
            var starts = new int[Math.Max(subsequences, 0)];
            for (int i = 0; i < starts.Length; i++) starts[i] = offset + i * numSteps;
            Shuffle(starts, random);
            int batches = starts.Length / batchSize;
            for (int b = 0; b < batches; b++)
            {
                var x = new long[batchSize * numSteps];
                var y = new long[batchSize * numSteps];
                for (int row = 0; row < batchSize; row++)
                {
                    int start = starts[b * batchSize + row];
                    for (int t = 0; t < numSteps; t++)
                    {
                        x[row * numSteps + t] = corpus[start + t];
                        y[row * numSteps + t] = corpus[start + t + 1];
                    }
                }
                yield return (Tensor.From(x, [batchSize, numSteps]), Tensor.From(y, [batchSize, numSteps]));
            }
        }
    }

    /// <summary>
    /// Sequential partitioning (<c>seq_data_iter_sequential</c>): drop a random offset in
    /// [0, numSteps], lay the next ⌊(len − offset − 1) / batchSize⌋·batchSize tokens out as
    /// batchSize rows, and walk along the rows numSteps columns at a time. Row i of a minibatch
    /// continues row i of the previous one, so the hidden state can be carried over.
    /// </summary>
    public static IEnumerable<(Tensor X, Tensor Y)> SeqDataIterSequential(IReadOnlyList<int> corpus, int batchSize, int numSteps, Generator? generator = null)
    {
        Check(corpus, batchSize, numSteps, "SeqDataIterSequential");
        return Iterate();

        IEnumerable<(Tensor X, Tensor Y)> Iterate()
        {
            var random = generator ?? Generator.Default;
            int offset = (int)random.NextInt64(numSteps + 1); // random.randint(0, num_steps)
            int tokens = Math.Max((corpus.Count - offset - 1) / batchSize, 0) * batchSize;
            int rowLength = tokens / batchSize;
            int batches = rowLength / numSteps;
            for (int b = 0; b < batches; b++)
            {
                var x = new long[batchSize * numSteps];
                var y = new long[batchSize * numSteps];
                for (int row = 0; row < batchSize; row++)
                    for (int t = 0; t < numSteps; t++)
                    {
                        int position = offset + row * rowLength + b * numSteps + t;
                        x[row * numSteps + t] = corpus[position];
                        y[row * numSteps + t] = corpus[position + 1];
                    }
                yield return (Tensor.From(x, [batchSize, numSteps]), Tensor.From(y, [batchSize, numSteps]));
            }
        }
    }

    static void Check(IReadOnlyList<int> corpus, int batchSize, int numSteps, string op)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        if (batchSize <= 0 || numSteps <= 0)
            throw new ArgumentException($"{op}: batchSize and numSteps must be positive, got batchSize = {batchSize}, numSteps = {numSteps}.");
    }

    /// <summary>Fisher–Yates with the given generator (the role of Python's <c>random.shuffle</c>).</summary>
    static void Shuffle(int[] values, Generator random)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = (int)random.NextInt64(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
