using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Reductions over contiguous data viewed as [outer, reduce, inner]: the tensor-level op moves
/// or merges dims so that the reduced ones form the middle block.
/// </summary>
internal static class Reduction
{
    /// <summary>destination[o, i] = Σ_r source[o, r, i].</summary>
    public static void Sum<T>(ReadOnlySpan<T> source, int outer, int reduce, int inner, Span<T> destination) where T : unmanaged, INumber<T>
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) destination[o] = TensorPrimitives.Sum(source.Slice(o * reduce, reduce));
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            var row = destination.Slice(o * inner, inner);
            row.Clear();
            var block = source.Slice(o * reduce * inner, reduce * inner);
            for (int r = 0; r < reduce; r++) TensorPrimitives.Add(row, block.Slice(r * inner, inner), row);
        }
    }

    /// <summary>destination[o] = f(source[o, :]) for rows of length <paramref name="reduce"/>.</summary>
    public static void Rows<T>(ReadOnlySpan<T> source, int outer, int reduce, Span<T> destination, Func<ReadOnlySpan<T>, T> f)
    {
        for (int o = 0; o < outer; o++) destination[o] = f(source.Slice(o * reduce, reduce));
    }

    /// <summary>Index of the largest (or smallest) element of each row; NaN counts as the largest, the first of ties wins.</summary>
    public static void ArgExtremum<T>(ReadOnlySpan<T> source, int outer, int reduce, Span<long> destination, bool max) where T : unmanaged, INumber<T>
    {
        for (int o = 0; o < outer; o++)
        {
            var row = source.Slice(o * reduce, reduce);
            int best = 0;
            for (int i = 1; i < row.Length; i++)
            {
                if (T.IsNaN(row[best])) break;
                if (T.IsNaN(row[i]) || (max ? row[i] > row[best] : row[i] < row[best])) best = i;
            }
            destination[o] = best;
        }
    }

    /// <summary>Running sums along the middle dim of [outer, n, inner].</summary>
    public static void CumSum<T>(ReadOnlySpan<T> source, int outer, int n, int inner, Span<T> destination) where T : unmanaged, INumber<T>
    {
        for (int o = 0; o < outer; o++)
        {
            int baseIndex = o * n * inner;
            source.Slice(baseIndex, inner).CopyTo(destination.Slice(baseIndex, inner));
            for (int k = 1; k < n; k++)
                TensorPrimitives.Add(destination.Slice(baseIndex + (k - 1) * inner, inner), source.Slice(baseIndex + k * inner, inner), destination.Slice(baseIndex + k * inner, inner));
        }
    }

    /// <summary>Softmax (or log-softmax) of each row of length n: max-shifted for stability.</summary>
    public static void Softmax<T>(ReadOnlySpan<T> source, int rows, int n, Span<T> destination, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            var x = source.Slice(r * n, n);
            var y = destination.Slice(r * n, n);
            T max = TensorPrimitives.Max(x);
            if (T.IsNegativeInfinity(max)) max = T.Zero; // an all −∞ row gives NaN like PyTorch, not a shifted inf
            TensorPrimitives.Subtract(x, max, y);
            if (log)
            {
                // log softmax = (x − m) − ln Σ e^(x − m)
                T sum = T.Zero;
                foreach (var v in y) sum += T.Exp(v);
                TensorPrimitives.Subtract(y, T.Log(sum), y);
            }
            else
            {
                TensorPrimitives.Exp(y, y);
                TensorPrimitives.Divide(y, TensorPrimitives.Sum(y), y);
            }
        }
    }
}
