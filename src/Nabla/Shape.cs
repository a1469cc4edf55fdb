using System.Collections;

namespace Nabla;

/// <summary>
/// The sizes of a tensor's dimensions, like <c>torch.Size</c>. Immutable; indexable with negative
/// indices counting from the end (<c>shape[^1]</c> or <c>shape[-1]</c>).
/// </summary>
public readonly struct Shape : IReadOnlyList<int>, IEquatable<Shape>
{
    readonly int[]? dims;

    /// <summary>Makes a shape from sizes (copied).</summary>
    public Shape(params ReadOnlySpan<int> sizes) => dims = sizes.ToArray();

    Shape(int[] owned, bool _) => dims = owned;

    internal static Shape Wrap(int[] owned) => new(owned, true);

    internal int[] Dims => dims ?? [];

    /// <summary>Number of dimensions.</summary>
    public int Rank => Dims.Length;

    /// <inheritdoc/>
    public int Count => Dims.Length;

    /// <summary>Size of dimension <paramref name="dim"/>; negative values count from the end.</summary>
    public int this[int dim] => Dims[dim < 0 ? dim + Rank : dim];

    /// <summary>Size of a dimension given as a C# <see cref="Index"/>.</summary>
    public int this[Index dim] => Dims[dim];

    /// <summary>Total number of elements (1 for a scalar shape).</summary>
    public long NumElements
    {
        get
        {
            long n = 1;
            foreach (int d in Dims) n *= d;
            return n;
        }
    }

    /// <summary>The sizes as a new array.</summary>
    public int[] ToArray() => (int[])Dims.Clone();

    /// <inheritdoc/>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)Dims).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public bool Equals(Shape other) => Dims.AsSpan().SequenceEqual(other.Dims);
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (int d in Dims) hash.Add(d);
        return hash.ToHashCode();
    }

    /// <summary>Equality of sizes.</summary>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    /// <summary>Inequality of sizes.</summary>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>Shapes convert from arrays of sizes.</summary>
    public static implicit operator Shape(int[] sizes) => new(sizes);

    /// <summary>Shapes pass wherever sizes are expected as a span.</summary>
    public static implicit operator ReadOnlySpan<int>(Shape shape) => shape.Dims;

    /// <summary>Prints as <c>[2, 3]</c>.</summary>
    public override string ToString() => "[" + string.Join(", ", Dims) + "]";

    internal static string Format(ReadOnlySpan<int> sizes) => "[" + string.Join(", ", sizes.ToArray()) + "]";

    /// <summary>Row-major (C-contiguous) strides for the given sizes.</summary>
    internal static int[] ContiguousStrides(ReadOnlySpan<int> sizes)
    {
        var strides = new int[sizes.Length];
        int stride = 1;
        for (int i = sizes.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(sizes[i], 1);
        }
        return strides;
    }

    /// <summary>Product of the sizes, checked against the 2³¹ element limit of one buffer.</summary>
    internal static int CheckedNumel(ReadOnlySpan<int> sizes, string op)
    {
        long n = 1;
        foreach (int d in sizes)
        {
            if (d < 0) throw new ShapeException($"{op}: negative dimension {d} in shape {Format(sizes)}.");
            n *= d;
            if (n > Array.MaxLength) throw new ShapeException($"{op}: shape {Format(sizes)} has more than {Array.MaxLength} elements.");
        }
        return (int)n;
    }

    /// <summary>NumPy/PyTorch broadcasting of two shapes, or a <see cref="ShapeException"/> naming the op.</summary>
    internal static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        if (a.SequenceEqual(b)) return a.ToArray();
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ShapeException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast (dimension {i}: {da} vs {db}).");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Normalises a possibly negative dim against a rank, or throws naming the op.</summary>
    internal static int NormalizeDim(int dim, int rank, string op)
    {
        int r = Math.Max(rank, 1); // like PyTorch, a 0-dim tensor accepts dim 0 and -1
        if (dim < -r || dim >= r)
            throw new ShapeException($"{op}: dimension {dim} is out of range for a tensor of rank {rank} (expected {-r} to {r - 1}).");
        return dim < 0 ? dim + r : dim;
    }
}
