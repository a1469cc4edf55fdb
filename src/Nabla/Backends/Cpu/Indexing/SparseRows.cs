using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The non-zeros of a row-major matrix X [rows, columns] in which at most one element in 8 is non-zero, row
/// by row (compressed sparse rows): a one-hot input, whose product with a weight is a copy of one weight row
/// per input row. The recurrent layers form each time step's input projection from it as the step starts
/// (<see cref="Multiply"/>), while the rows are in cache, instead of as one product over all steps beforehand,
/// and gather the input weight gradient the same way (<see cref="AddTransposedProduct"/>).
/// </summary>
internal sealed unsafe class SparseRows<T>
    where T : unmanaged, INumber<T>
{
    private readonly int[] rowStart; // row r's non-zeros are entries rowStart[r] .. rowStart[r + 1]
    private readonly int[] indices;  // their columns
    private readonly T[] values;

    private SparseRows(int[] rowStart, int[] indices, T[] values)
    {
        this.rowStart = rowStart;
        this.indices = indices;
        this.values = values;
    }

    /// <summary>
    /// The non-zeros of <paramref name="x"/> [rows, columns], or null when more than one element in 8 is
    /// non-zero (a dense product is then faster). Skipping the zeros changes no finite result: only 0·∞ = NaN
    /// terms are not formed.
    /// </summary>
    public static SparseRows<T>? TryCreate(T* x, int rows, int columns)
    {
        long allowed = (long)rows * columns / 8;
        var rowStart = new int[rows + 1];
        var indices = new int[Math.Min(allowed, 1024)];
        var values = new T[indices.Length];
        int entry = 0;
        for (int r = 0; r < rows; r++)
        {
            rowStart[r] = entry;
            T* row = x + (long)r * columns;
            int j = 0;
            while (j < columns)
            {
                // Whole vectors of zeros are skipped (a one-hot row is nearly all of them), a vector with a non-zero read one by one.
                if (Vector.IsHardwareAccelerated && j + Vector<T>.Count <= columns && Vector.EqualsAll(Vector.Load(row + j), Vector<T>.Zero))
                {
                    j += Vector<T>.Count;
                    continue;
                }
                int end = Vector.IsHardwareAccelerated ? Math.Min(columns, j + Vector<T>.Count) : columns;
                for (; j < end; j++)
                {
                    if (row[j] == T.Zero) continue;
                    if (entry == allowed) return null;
                    if (entry == indices.Length)
                    {
                        Array.Resize(ref indices, (int)Math.Min(allowed, 2L * entry));
                        Array.Resize(ref values, indices.Length);
                    }
                    indices[entry] = j;
                    values[entry++] = row[j];
                }
            }
        }

        rowStart[rows] = entry;
        return new SparseRows<T>(rowStart, indices, values);
    }

    /// <summary>
    /// target[n, :] = start + Σⱼ X[first + n, j] B[j, :] for n &lt; count, with B [columns, width] row-major,
    /// target rows <paramref name="width"/> apart and start a [width] row (zero when null).
    /// </summary>
    public void Multiply(int first, int count, T* b, int width, T* start, T* target)
    {
        for (int n = 0; n < count; n++)
        {
            var row = new Span<T>(target + (long)n * width, width);
            int begin = rowStart[first + n], end = rowStart[first + n + 1];
            if (begin == end)
            {
                if (start != null) new ReadOnlySpan<T>(start, width).CopyTo(row);
                else row.Clear();
                continue;
            }

            // The first non-zero lands on the start row in the same pass.
            var weights = new ReadOnlySpan<T>(b + (long)indices[begin] * width, width);
            if (start != null) TensorPrimitives.MultiplyAdd(weights, values[begin], new ReadOnlySpan<T>(start, width), row);
            else TensorPrimitives.Multiply(weights, values[begin], row);
            for (int e = begin + 1; e < end; e++)
            {
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(b + (long)indices[e] * width, width), values[e], row, row);
            }
        }
    }

    /// <summary>
    /// B += X[first .. first + count]ᵀ · G: B[j, :] += X[first + n, j] G[n, :] over the non-zeros, with
    /// G [count, width] and B [columns, width] row-major.
    /// </summary>
    public void AddTransposedProduct(int first, int count, T* g, int width, T* b)
    {
        for (int n = 0; n < count; n++)
        {
            var gradient = new ReadOnlySpan<T>(g + (long)n * width, width);
            for (int e = rowStart[first + n]; e < rowStart[first + n + 1]; e++)
            {
                var target = new Span<T>(b + (long)indices[e] * width, width);
                TensorPrimitives.MultiplyAdd(gradient, values[e], target, target);
            }
        }
    }
}
