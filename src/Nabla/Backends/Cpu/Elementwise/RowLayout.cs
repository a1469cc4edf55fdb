namespace Nabla.Backends.Cpu;

/// <summary>
/// The one strided iterator behind every elementwise kernel. It sees an op over k operands that
/// share a shape (broadcast inputs have stride 0), merges dimensions that are laid out back to
/// back in every operand, and hands the kernel rows of the innermost dimension: a row is a run of
/// <see cref="RowLength"/> elements whose per-operand stride is <see cref="InnerStride"/>.
/// Kernels process a row with span primitives, so the per-element work never goes through a
/// virtual call. Built per op call, so it allocates little: two small arrays.
/// </summary>
internal sealed class RowLayout
{
    readonly int operands;
    readonly int outerRank;
    readonly int[] outerSizes;   // coalesced outer dims, outermost first
    readonly int[] strideTable;  // [operand * (outerRank + 1) + d]: outer strides, then the inner stride last
    readonly int[] baseOffsets;

    /// <summary>Number of elements in one row.</summary>
    public int RowLength { get; }
    /// <summary>Number of rows.</summary>
    public int RowCount { get; }

    /// <summary>Stride of the row's elements in operand <paramref name="operand"/> (0 = broadcast, 1 = contiguous).</summary>
    public int InnerStride(int operand) => strideTable[operand * (outerRank + 1) + outerRank];

    int OuterStride(int operand, int d) => strideTable[operand * (outerRank + 1) + d];

    /// <param name="shape">The common (output) shape.</param>
    /// <param name="offsets">Offset of element 0 in each operand.</param>
    /// <param name="strides">Each operand's strides, already expanded to <paramref name="shape"/>.</param>
    public RowLayout(ReadOnlySpan<int> shape, int[] offsets, params int[][] strides)
    {
        operands = strides.Length;
        baseOffsets = offsets;
        int k = operands;
        // Working arrays: sizes[rank+1] and merged[k][rank+1] (one extra slot for splitting a long row).
        Span<int> sizes = stackalloc int[shape.Length + 2];
        Span<int> merged = stackalloc int[k * (shape.Length + 2)];
        int width = shape.Length + 2, count = 0;
        bool empty = false;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 0) empty = true;
            if (shape[d] == 1) continue;
            // Merge dim d into the previous kept dim when every operand has stride[prev] == stride[d]·size[d].
            bool canMerge = count > 0;
            for (int o = 0; o < k && canMerge; o++)
                canMerge = merged[o * width + count - 1] == strides[o][d] * shape[d];
            if (canMerge)
            {
                sizes[count - 1] *= shape[d];
                for (int o = 0; o < k; o++) merged[o * width + count - 1] = strides[o][d];
            }
            else
            {
                sizes[count] = shape[d];
                for (int o = 0; o < k; o++) merged[o * width + count] = strides[o][d];
                count++;
            }
        }
        if (count == 0) { sizes[0] = 1; for (int o = 0; o < k; o++) merged[o * width] = 0; count = 1; }
        // A long contiguous run is cut into equal sub-rows so that the worker pool has rows to share.
        int innermost = sizes[count - 1];
        if (!empty && innermost >= 65536 && count < 4)
        {
            for (int parts = 2 * WorkerPool.ThreadCount; parts <= 256; parts++)
            {
                if (innermost % parts != 0 || innermost / parts < 4096) continue;
                int part = innermost / parts;
                sizes[count - 1] = parts;
                sizes[count] = part;
                for (int o = 0; o < k; o++)
                {
                    int s = merged[o * width + count - 1];
                    merged[o * width + count - 1] = s * part;
                    merged[o * width + count] = s;
                }
                count++;
                break;
            }
        }
        outerRank = count - 1;
        RowLength = empty ? 0 : sizes[count - 1];
        outerSizes = sizes[..outerRank].ToArray();
        strideTable = new int[k * count];
        for (int o = 0; o < k; o++)
            for (int d = 0; d < count; d++)
                strideTable[o * count + d] = merged[o * width + d];
        long rows = 1;
        foreach (int s in outerSizes) rows *= s;
        RowCount = empty ? 0 : (int)rows;
    }

    /// <summary>A cursor positioned at row <paramref name="row"/>, to walk rows forward from there.</summary>
    public Cursor At(int row) => new(this, row);

    /// <summary>Walks rows in order, keeping each operand's offset of the current row's first element.</summary>
    public struct Cursor
    {
        readonly RowLayout layout;
        readonly int[]? index;
        /// <summary>Offset of the current row's first element, per operand.</summary>
        public readonly int[] Offsets;

        internal Cursor(RowLayout layout, int row)
        {
            this.layout = layout;
            int rank = layout.outerRank;
            index = rank == 0 ? null : new int[rank];
            Offsets = (int[])layout.baseOffsets.Clone();
            for (int d = rank - 1; d >= 0; d--)
            {
                int size = layout.outerSizes[d];
                int i = row % size;
                row /= size;
                index![d] = i;
                for (int o = 0; o < Offsets.Length; o++) Offsets[o] += i * layout.OuterStride(o, d);
            }
        }

        /// <summary>Moves to the next row (odometer increment of the outer index).</summary>
        public void Next()
        {
            var sizes = layout.outerSizes;
            for (int d = sizes.Length - 1; d >= 0; d--)
            {
                index![d]++;
                if (index[d] < sizes[d])
                {
                    for (int o = 0; o < Offsets.Length; o++) Offsets[o] += layout.OuterStride(o, d);
                    return;
                }
                index[d] = 0;
                for (int o = 0; o < Offsets.Length; o++) Offsets[o] -= (sizes[d] - 1) * layout.OuterStride(o, d);
            }
        }
    }

    /// <summary>
    /// Splits the rows over the worker pool when the op is large enough to pay for it
    /// (about 32K elements per chunk), else runs <paramref name="body"/> inline on all rows.
    /// </summary>
    public void ForEachChunk(Action<int, int> body)
    {
        long total = (long)RowCount * RowLength;
        if (total < 65536 || RowCount < 2) { if (RowCount > 0) body(0, RowCount); return; }
        int minRows = Math.Max(1, 32768 / Math.Max(RowLength, 1));
        WorkerPool.For(RowCount, minRows, body);
    }
}
