using System.Buffers;

namespace Nabla.Backends.Cpu;

/// <summary>A row operation of one input: <c>destination[i] = f(x[i])</c>.</summary>
internal delegate void UnaryRow<TIn, TOut>(ReadOnlySpan<TIn> x, Span<TOut> destination);
/// <summary>A row operation of two inputs: <c>destination[i] = f(x[i], y[i])</c>.</summary>
internal delegate void BinaryRow<TIn, TOut>(ReadOnlySpan<TIn> x, ReadOnlySpan<TIn> y, Span<TOut> destination);
/// <summary>A row operation of a condition and two inputs (used by <c>Where</c>).</summary>
internal delegate void SelectRow<T>(ReadOnlySpan<bool> condition, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination);

/// <summary>
/// Elementwise kernels over strided operands. The output is always contiguous (operand 0 of the
/// <see cref="RowLayout"/>); inputs may be strided or broadcast. A row whose input stride is 1 is
/// passed to the row operation as a span of the input; other rows are gathered into a per-chunk
/// scratch row first, so each op needs only a contiguous-span implementation (usually one
/// <c>TensorPrimitives</c> call).
/// </summary>
internal static class Elementwise
{
    /// <summary>destination = f(x) over the layout (operands: destination, x).</summary>
    public static void Map<TIn, TOut>(RowLayout layout, TIn[] x, TOut[] destination, UnaryRow<TIn, TOut> row)
    {
        int n = layout.RowLength;
        layout.ForEachChunk((begin, end) =>
        {
            var rowX = new RowReader<TIn>(x, layout.InnerStride(1), n);
            var cursor = layout.At(begin);
            for (int r = begin; r < end; r++, cursor.Next())
                row(rowX.Read(cursor.Offsets[1]), destination.AsSpan(cursor.Offsets[0], n));
            rowX.Return();
        });
    }

    /// <summary>destination = f(x, y) over the layout (operands: destination, x, y).</summary>
    public static void Binary<TIn, TOut>(RowLayout layout, TIn[] x, TIn[] y, TOut[] destination, BinaryRow<TIn, TOut> row)
    {
        int n = layout.RowLength;
        layout.ForEachChunk((begin, end) =>
        {
            var rowX = new RowReader<TIn>(x, layout.InnerStride(1), n);
            var rowY = new RowReader<TIn>(y, layout.InnerStride(2), n);
            var cursor = layout.At(begin);
            for (int r = begin; r < end; r++, cursor.Next())
                row(rowX.Read(cursor.Offsets[1]), rowY.Read(cursor.Offsets[2]), destination.AsSpan(cursor.Offsets[0], n));
            rowX.Return();
            rowY.Return();
        });
    }

    /// <summary>destination = condition ? x : y over the layout (operands: destination, condition, x, y).</summary>
    public static void Select<T>(RowLayout layout, bool[] condition, T[] x, T[] y, T[] destination)
    {
        int n = layout.RowLength;
        layout.ForEachChunk((begin, end) =>
        {
            var rowC = new RowReader<bool>(condition, layout.InnerStride(1), n);
            var rowX = new RowReader<T>(x, layout.InnerStride(2), n);
            var rowY = new RowReader<T>(y, layout.InnerStride(3), n);
            var cursor = layout.At(begin);
            for (int r = begin; r < end; r++, cursor.Next())
            {
                var c = rowC.Read(cursor.Offsets[1]);
                var a = rowX.Read(cursor.Offsets[2]);
                var b = rowY.Read(cursor.Offsets[3]);
                var d = destination.AsSpan(cursor.Offsets[0], n);
                for (int i = 0; i < d.Length; i++) d[i] = c[i] ? a[i] : b[i];
            }
            rowC.Return();
            rowX.Return();
            rowY.Return();
        });
    }

    /// <summary>
    /// Reads one row of a strided operand as a span: the operand itself when its stride is 1,
    /// otherwise a scratch row (a broadcast row is filled only when its source element changes).
    /// </summary>
    struct RowReader<T>(T[] data, int stride, int length)
    {
        T[]? scratch;
        int filledFrom = -1;

        public ReadOnlySpan<T> Read(int offset)
        {
            if (stride == 1) return data.AsSpan(offset, length);
            scratch ??= ArrayPool<T>.Shared.Rent(length);
            var row = scratch.AsSpan(0, length);
            if (stride == 0)
            {
                if (filledFrom != offset) { row.Fill(data[offset]); filledFrom = offset; }
                return row;
            }
            for (int i = 0, j = offset; i < row.Length; i++, j += stride) row[i] = data[j];
            return row;
        }

        public readonly void Return()
        {
            if (scratch != null) ArrayPool<T>.Shared.Return(scratch);
        }
    }
}
