using System.Numerics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Gather and scatter along one dim, driven by an Int64 index tensor. The walk over the index
/// positions is the shared <see cref="RowLayout"/>: operand 0 is the destination (or, for
/// scatter, the source of values), operand 1 the index, operand 2 the tensor addressed through
/// the index, whose stride along the indexed dim is set to 0 in the layout and applied per element.
/// </summary>
internal static class Indexing
{
    /// <summary>destination[p] = source[p with p[dim] = index[p]]; returns the first bad index, or null.</summary>
    public static long? Gather<T>(RowLayout layout, T[] destination, long[] index, T[] source, int dimStride, int dimSize)
    {
        int n = layout.RowLength;
        int sd = layout.InnerStride(0), si = layout.InnerStride(1), ss = layout.InnerStride(2);
        var cursor = layout.At(0);
        for (int r = 0; r < layout.RowCount; r++, cursor.Next())
        {
            int od = cursor.Offsets[0], oi = cursor.Offsets[1], os = cursor.Offsets[2];
            for (int i = 0; i < n; i++)
            {
                long k = index[oi + i * si];
                if (k < 0) k += dimSize;
                if ((ulong)k >= (ulong)dimSize) return index[oi + i * si];
                destination[od + i * sd] = source[os + i * ss + (int)k * dimStride];
            }
        }
        return null;
    }

    /// <summary>
    /// Whole-slice selection (<c>index_select</c> of a contiguous tensor): slice (o, i) of
    /// <paramref name="destination"/>, <paramref name="inner"/> elements, is slice (o, picks[i]) of the
    /// <paramref name="size"/> along the selected dim in <paramref name="source"/>, from
    /// <paramref name="sourceOffset"/> on. The picks must be in range. A large selection (a minibatch picked
    /// from a data set: every slice a jump to a random place in a large array) is bound by memory latency, so
    /// it is split across the worker pool in pieces of at least <see cref="SliceCopyChunkBytes"/>.
    /// </summary>
    public static void SelectSlices(Array source, long sourceOffset, int size, long[] picks, int picksOffset, int count, int outer, int inner,
                                    Array destination, int elementSize)
    {
        int slices = outer * count;
        int minSlices = Math.Max(1, SliceCopyChunkBytes / Math.Max(1, inner * elementSize));
        WorkerPool.For(slices, minSlices, (begin, end) =>
        {
            for (int s = begin; s < end; s++)
            {
                int o = s / count, i = s - (o * count);
                Array.Copy(source, sourceOffset + (((long)o * size) + picks[picksOffset + i]) * inner, destination, (long)s * inner, inner);
            }
        });
    }

    /// <summary>Bytes of slices one participant copies at least: below two of these a selection runs on the calling thread.</summary>
    private const int SliceCopyChunkBytes = 64 * 1024;

    /// <summary>target[p with p[dim] = index[p]] = values[p] (or += when accumulate); returns the first bad index, or null.</summary>
    public static long? Scatter<T>(RowLayout layout, T[] values, long[] index, T[] target, int dimStride, int dimSize, bool accumulate) where T : INumberBase<T>
    {
        int n = layout.RowLength;
        int sv = layout.InnerStride(0), si = layout.InnerStride(1), st = layout.InnerStride(2);
        var cursor = layout.At(0);
        for (int r = 0; r < layout.RowCount; r++, cursor.Next())
        {
            int ov = cursor.Offsets[0], oi = cursor.Offsets[1], ot = cursor.Offsets[2];
            for (int i = 0; i < n; i++)
            {
                long k = index[oi + i * si];
                if (k < 0) k += dimSize;
                if ((ulong)k >= (ulong)dimSize) return index[oi + i * si];
                ref T slot = ref target[ot + i * st + (int)k * dimStride];
                slot = accumulate ? slot + values[ov + i * sv] : values[ov + i * sv];
            }
        }
        return null;
    }
}
