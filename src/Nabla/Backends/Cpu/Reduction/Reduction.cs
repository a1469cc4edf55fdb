using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

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

    /// <summary>
    /// destination[o, i] = Σ_r source[o, r, i] for the columns i in [<paramref name="from"/>, <paramref name="to"/>) only:
    /// the same additions in the same order as <see cref="Sum{T}"/>, so column blocks can be summed in parallel.
    /// </summary>
    public static void SumColumns<T>(ReadOnlySpan<T> source, int o, int reduce, int inner, int from, int to, Span<T> destination)
        where T : unmanaged, INumber<T>
    {
        var row = destination.Slice(o * inner + from, to - from);
        row.Clear();
        var block = source.Slice(o * reduce * inner, reduce * inner);
        for (int r = 0; r < reduce; r++) TensorPrimitives.Add(row, block.Slice(r * inner + from, to - from), row);
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
        T[]? rented = n > StackRow ? ArrayPool<T>.Shared.Rent(n) : null;
        Span<T> scratch = rented != null ? rented : stackalloc T[StackRow];
        for (int r = 0; r < rows; r++)
        {
            var x = source.Slice(r * n, n);
            var y = destination.Slice(r * n, n);
            if (log)
            {
                // log softmax = (x − m) − ln Σ e^(x − m), the exponentials in a scratch row
                T logSum = ShiftedLogSum(x, scratch.Slice(0, n), out T max);
                TensorPrimitives.Subtract(x, max, y);
                TensorPrimitives.Subtract(y, logSum, y);
            }
            else
            {
                TensorPrimitives.Divide(y, ExpShifted(x, RowShift(x), y), y);
            }
        }
        if (rented != null) ArrayPool<T>.Shared.Return(rented);
    }

    /// <summary>The shift m of a row's exponentials: its max, or 0 for an all −∞ row (which then gives NaN like PyTorch, not a shifted inf).</summary>
    private static T RowShift<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = TensorPrimitives.Max(x);
        return T.IsNegativeInfinity(max) ? T.Zero : max;
    }

    /// <summary>ln Σ e^(x − m) of a row, with m = <see cref="RowShift{T}"/>, the exponentials left in <paramref name="scratch"/>.</summary>
    private static T ShiftedLogSum<T>(ReadOnlySpan<T> x, Span<T> scratch, out T shift) where T : unmanaged, IFloatingPointIeee754<T>
    {
        shift = RowShift(x);
        return T.Log(ExpShifted(x, shift, scratch));
    }

    /// <summary>destination = e^(source − shift), returning its sum: <see cref="Exponential"/>'s vectors for float32.</summary>
    private static T ExpShifted<T>(ReadOnlySpan<T> source, T shift, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            return T.CreateTruncating(Exponential.ExpShifted(MemoryMarshal.Cast<T, float>(source), float.CreateTruncating(shift), MemoryMarshal.Cast<T, float>(destination)));
        TensorPrimitives.Subtract(source, shift, destination);
        TensorPrimitives.Exp(destination, destination);
        return TensorPrimitives.Sum(destination);
    }

    /// <summary>Rows up to this long keep their scratch exponentials on the stack.</summary>
    private const int StackRow = 256;

    /// <summary>
    /// Cross-entropy of each row of <paramref name="logits"/> [rows, classes] against its class index:
    /// logSumExp[r] = m + ln Σ e^(x − m) (m the row's max), loss[r] = ln Σ e^(x − m) − (x[t] − m), the same
    /// terms as −log_softmax(x)[t]; a row whose target is <paramref name="ignoreIndex"/> gets loss 0.
    /// Returns the rows kept, or −1 with <paramref name="bad"/> set to the first target outside [0, classes).
    /// </summary>
    public static int CrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> targets, int classes, long ignoreIndex,
        Span<T> loss, Span<T> logSumExp, out long bad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[]? rented = classes > StackRow ? ArrayPool<T>.Shared.Rent(classes) : null;
        Span<T> exp = (rented != null ? rented : stackalloc T[StackRow]).Slice(0, classes);
        int kept = 0;
        bad = 0;
        for (int r = 0; r < targets.Length; r++)
        {
            var x = logits.Slice(r * classes, classes);
            T logSum = ShiftedLogSum(x, exp, out T max);
            logSumExp[r] = max + logSum;
            long t = targets[r];
            if (t == ignoreIndex)
            {
                loss[r] = T.Zero;
                continue;
            }
            if ((ulong)t >= (ulong)classes)
            {
                bad = t;
                kept = -1;
                break;
            }
            loss[r] = logSum - (x[(int)t] - max);
            kept++;
        }
        if (rented != null) ArrayPool<T>.Shared.Return(rented);
        return kept;
    }

    /// <summary>
    /// The gradient of <see cref="CrossEntropy{T}"/>: grad[r] = s_r · (softmax(x_r) − onehot(t_r)), 0 for ignored
    /// rows, with s_r = <paramref name="scale"/>[r], or <paramref name="scale"/>[0] for every row when it holds one value.
    /// </summary>
    public static void CrossEntropyBackward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> targets, ReadOnlySpan<T> logSumExp,
        int classes, long ignoreIndex, ReadOnlySpan<T> scale, Span<T> grad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < targets.Length; r++)
        {
            var g = grad.Slice(r * classes, classes);
            long t = targets[r];
            if (t == ignoreIndex)
            {
                g.Clear();
                continue;
            }
            T s = scale.Length == 1 ? scale[0] : scale[r];
            ExpShifted(logits.Slice(r * classes, classes), logSumExp[r], g);
            TensorPrimitives.Multiply(g, s, g);
            g[(int)t] -= s;
        }
    }
}
