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
