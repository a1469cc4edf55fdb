namespace Nabla.Data;

/// <summary>Functions over data sets; <see cref="Dataset{T}"/> is the data set type itself.</summary>
public static class Dataset
{
    /// <summary>
    /// Splits <paramref name="dataset"/> into disjoint random subsets (<c>torch.utils.data.random_split</c>) of the given lengths, drawn from one random
    /// permutation: every sample lands in exactly one subset, and the same generator seed gives
    /// the same split.
    /// </summary>
    /// <param name="dataset">The data set to split.</param>
    /// <param name="lengths">Length of each subset; they must add up to the data set's count.</param>
    /// <param name="generator">Draws the permutation; <see cref="Generator.Default"/> when null.</param>
    /// <exception cref="ArgumentException">A length is negative or the lengths do not add up to the count.</exception>
    public static Subset<T>[] RandomSplit<T>(Dataset<T> dataset, IReadOnlyList<int> lengths, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(lengths);
        long total = 0;
        foreach (int length in lengths)
        {
            if (length < 0)
            {
                throw new ArgumentException($"RandomSplit: lengths [{string.Join(", ", lengths)}] contain a negative length.", nameof(lengths));
            }
            total += length;
        }
        if (total != dataset.Count)
        {
            throw new ArgumentException($"RandomSplit: lengths [{string.Join(", ", lengths)}] add up to {total}, not to the data set's {dataset.Count} samples.", nameof(lengths));
        }
        int[] permutation = Tensor.RandPerm(dataset.Count, generator, DType.Int32).ToArray<int>();
        var subsets = new Subset<T>[lengths.Count];
        int start = 0;
        for (int i = 0; i < subsets.Length; i++)
        {
            subsets[i] = new Subset<T>(dataset, permutation[start..(start + lengths[i])]);
            start += lengths[i];
        }
        return subsets;
    }
}
