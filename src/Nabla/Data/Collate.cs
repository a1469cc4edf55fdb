namespace Nabla.Data;

/// <summary>
/// Collate functions: they turn a list of samples into one batch (<c>default_collate</c>).
/// The default stacks tensors along a new first dimension, entry by entry for samples made of
/// several tensors, so <c>B</c> samples <c>(image [1, 28, 28], label [])</c> become
/// <c>(images [B, 1, 28, 28], labels [B])</c>.
/// </summary>
public static class Collate
{
    /// <summary>
    /// The default collate function for samples of type <typeparamref name="T"/>: <see cref="Tensor"/>,
    /// <c>Tensor[]</c>, <c>(Tensor, Tensor)</c> or <c>(Tensor, Tensor, Tensor)</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> has no default collation; pass a collate function instead.</exception>
    public static Func<IReadOnlyList<T>, T> Default<T>()
    {
        object collate = typeof(T) switch
        {
            var type when type == typeof(Tensor) => (Func<IReadOnlyList<Tensor>, Tensor>)Stack,
            var type when type == typeof(Tensor[]) => (Func<IReadOnlyList<Tensor[]>, Tensor[]>)StackEach,
            var type when type == typeof((Tensor, Tensor)) => (Func<IReadOnlyList<(Tensor, Tensor)>, (Tensor, Tensor)>)StackPairs,
            var type when type == typeof((Tensor, Tensor, Tensor)) => (Func<IReadOnlyList<(Tensor, Tensor, Tensor)>, (Tensor, Tensor, Tensor)>)StackTriples,
            _ => throw new ArgumentException(
                $"Collate.Default: samples of type {typeof(T).Name} have no default collation (Tensor, Tensor[], (Tensor, Tensor) or (Tensor, Tensor, Tensor)); pass a collate function to DataLoader<TSample, TBatch>."),
        };
        return (Func<IReadOnlyList<T>, T>)collate;
    }

    /// <summary>Stacks same-shaped tensors along a new first dimension (<c>torch.stack(samples)</c>).</summary>
    /// <exception cref="ArgumentException">The list is empty.</exception>
    /// <exception cref="ShapeException">The shapes differ.</exception>
    public static Tensor Stack(IReadOnlyList<Tensor> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return Tensor.Stack(samples);
    }

    /// <summary>Stacks entry <c>j</c> of every sample into entry <c>j</c> of the batch.</summary>
    /// <exception cref="ArgumentException">The list is empty or the samples have different lengths.</exception>
    /// <exception cref="ShapeException">The shapes of one entry differ.</exception>
    public static Tensor[] StackEach(IReadOnlyList<Tensor[]> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
        {
            throw new ArgumentException("Collate.StackEach: expected at least one sample.", nameof(samples));
        }
        int width = samples[0].Length;
        var batch = new Tensor[width];
        var column = new Tensor[samples.Count];
        for (int j = 0; j < width; j++)
        {
            for (int i = 0; i < samples.Count; i++)
            {
                if (samples[i].Length != width)
                {
                    throw new ArgumentException($"Collate.StackEach: sample 0 has {width} tensors but sample {i} has {samples[i].Length}.", nameof(samples));
                }
                column[i] = samples[i][j];
            }
            batch[j] = Tensor.Stack(column);
        }
        return batch;
    }

    private static (Tensor, Tensor) StackPairs(IReadOnlyList<(Tensor, Tensor)> samples)
    {
        var first = new Tensor[samples.Count];
        var second = new Tensor[samples.Count];
        for (int i = 0; i < samples.Count; i++)
        {
            (first[i], second[i]) = samples[i];
        }
        return (Tensor.Stack(first), Tensor.Stack(second));
    }

    private static (Tensor, Tensor, Tensor) StackTriples(IReadOnlyList<(Tensor, Tensor, Tensor)> samples)
    {
        var first = new Tensor[samples.Count];
        var second = new Tensor[samples.Count];
        var third = new Tensor[samples.Count];
        for (int i = 0; i < samples.Count; i++)
        {
            (first[i], second[i], third[i]) = samples[i];
        }
        return (Tensor.Stack(first), Tensor.Stack(second), Tensor.Stack(third));
    }
}
