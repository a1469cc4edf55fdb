namespace Nabla.Backends.Cpu;

/// <summary>
/// The one strided iterator behind every elementwise kernel. It sees an op over k operands that
/// share a shape (broadcast inputs have stride 0), merges dimensions that are laid out
/// back to back in every operand, and hands the kernel rows of the innermost dimension: a
/// row is a run of <see cref="RowLength"/> elements whose per-operand stride is
/// <see cref="InnerStride"/>. Kernels process a row with span primitives, so the per-element
/// work never goes through a virtual call.
/// </summary>
internal sealed class RowLayout
{
    readonly int[] outerSizes;        // coalesced outer dims, outermost first
    readonly int[][] outerStrides;    // [operand][outer dim]
    readonly int[] baseOffsets;
    readonly int[] innerStrides;

    /// <summary>Number of elements in one row.</summary>
    public int RowLength { get; }
    /// <summary>Number of rows.</summary>
    public int RowCount { get; }
    /// <summary>Number of operands.</summary>
    public int Operands => baseOffsets.Length;

    /// <summary>Stride of the row's elements in operand <paramref name="operand"/> (0 = broadcast, 1 = contiguous).</summary>
    public int InnerStride(int operand) => innerStrides[operand];

    /// <param name="shape">The common (output) shape.</param>
    /// <param name="offsets">Offset of element 0 in each operand.</param>
    /// <param name="strides">Each operand's strides, already expanded to <paramref name="shape"/>.</param>
    public RowLayout(ReadOnlySpan<int> shape, int[] offsets, params int[][] strides)
    {
        int k = strides.Length;
        baseOffsets = offsets;
        // Drop size-1 dims, then merge dim i into i+1 wherever every operand has stride[i] == stride[i+1]*size[i+1].
        var sizes = new List<int>(shape.Length);
        var merged = new List<int>[k];
        for (int o = 0; o < k; o++) merged[o] = new List<int>(shape.Length);
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            int last = sizes.Count - 1;
            bool canMerge = last >= 0;
            for (int o = 0; o < k && canMerge; o++)
                canMerge = merged[o][last] == strides[o][d] * shape[d];
            if (canMerge)
            {
                sizes[last] *= shape[d];
                for (int o = 0; o < k; o++) merged[o][last] = strides[o][d];
            }
            else
            {
                sizes.Add(shape[d]);
                for (int o = 0; o < k; o++) merged[o].Add(strides[o][d]);
            }
        }
        bool empty = false;
        foreach (int s in shape) if (s == 0) empty = true;
        if (sizes.Count == 0) { sizes.Add(1); for (int o = 0; o < k; o++) merged[o].Add(0); }
        // A long contiguous run is cut into equal sub-rows so that the worker pool has rows to share.
        int innermost = sizes[^1];
        if (!empty && innermost >= 65536 && sizes.Count < 4)
        {
            for (int parts = 2 * WorkerPool.ThreadCount; parts <= 256; parts++)
            {
                if (innermost % parts != 0 || innermost / parts < 4096) continue;
                int part = innermost / parts;
                sizes[^1] = parts;
                sizes.Add(part);
                for (int o = 0; o < k; o++) { int s = merged[o][^1]; merged[o][^1] = s * part; merged[o].Add(s); }
                break;
            }
        }
        int rank = sizes.Count;
        RowLength = empty ? 0 : sizes[rank - 1];
        outerSizes = sizes.GetRange(0, rank - 1).ToArray();
        innerStrides = new int[k];
        outerStrides = new int[k][];
        for (int o = 0; o < k; o++)
        {
            innerStrides[o] = merged[o][rank - 1];
            outerStrides[o] = merged[o].GetRange(0, rank - 1).ToArray();
        }
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
        readonly int[] index;
        /// <summary>Offset of the current row's first element, per operand.</summary>
        public readonly int[] Offsets;

        internal Cursor(RowLayout layout, int row)
        {
            this.layout = layout;
            int rank = layout.outerSizes.Length;
            index = new int[rank];
            Offsets = (int[])layout.baseOffsets.Clone();
            for (int d = rank - 1; d >= 0; d--)
            {
                int size = layout.outerSizes[d];
                int i = row % size;
                row /= size;
                index[d] = i;
                for (int o = 0; o < Offsets.Length; o++) Offsets[o] += i * layout.outerStrides[o][d];
            }
        }

        /// <summary>Moves to the next row (odometer increment of the outer index).</summary>
        public void Next()
        {
            var sizes = layout.outerSizes;
            for (int d = sizes.Length - 1; d >= 0; d--)
            {
                index[d]++;
                if (index[d] < sizes[d])
                {
                    for (int o = 0; o < Offsets.Length; o++) Offsets[o] += layout.outerStrides[o][d];
                    return;
                }
                index[d] = 0;
                for (int o = 0; o < Offsets.Length; o++) Offsets[o] -= (sizes[d] - 1) * layout.outerStrides[o][d];
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
