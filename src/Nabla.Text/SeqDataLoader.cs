using System.Collections;

namespace Nabla.Text;

/// <summary>
/// d2l's <c>SeqDataLoader</c>: an enumerable of language-model minibatches (X, Y), each Int64
/// [batchSize, numSteps], drawn afresh (new offset, new shuffle) on every enumeration, i.e. every epoch.
/// </summary>
public sealed class SeqDataLoader : IEnumerable<(Tensor X, Tensor Y)>
{
    /// <summary>The token indices.</summary>
    public IReadOnlyList<int> Corpus { get; }

    /// <summary>Subsequences per minibatch.</summary>
    public int BatchSize { get; }

    /// <summary>Time steps per subsequence.</summary>
    public int NumSteps { get; }

    /// <summary>Random partitioning (<see cref="SeqData.SeqDataIterRandom"/>) or sequential (<see cref="SeqData.SeqDataIterSequential"/>).</summary>
    public bool UseRandomIter { get; }

    /// <summary>The random source of offsets and shuffles.</summary>
    public Generator Generator { get; }

    /// <summary>Creates the loader.</summary>
    /// <param name="corpus">The token indices.</param>
    /// <param name="batchSize">Subsequences per minibatch.</param>
    /// <param name="numSteps">Time steps per subsequence.</param>
    /// <param name="useRandomIter">Random partitioning when true, sequential when false.</param>
    /// <param name="generator">Random source; the default generator when null.</param>
    public SeqDataLoader(IReadOnlyList<int> corpus, int batchSize, int numSteps, bool useRandomIter = false, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        if (batchSize <= 0 || numSteps <= 0)
            throw new ArgumentException($"SeqDataLoader: batchSize and numSteps must be positive, got batchSize = {batchSize}, numSteps = {numSteps}.");
        Corpus = corpus;
        BatchSize = batchSize;
        NumSteps = numSteps;
        UseRandomIter = useRandomIter;
        Generator = generator ?? Generator.Default;
    }

    /// <inheritdoc/>
    public IEnumerator<(Tensor X, Tensor Y)> GetEnumerator() =>
        (UseRandomIter
            ? SeqData.SeqDataIterRandom(Corpus, BatchSize, NumSteps, Generator)
            : SeqData.SeqDataIterSequential(Corpus, BatchSize, NumSteps, Generator)).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
