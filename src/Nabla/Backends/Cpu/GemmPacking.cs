using System.Numerics;
using System.Runtime.CompilerServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Copies blocks of A and B into the panel layouts the micro-kernels stream through, whatever the operands'
/// strides: a transposed or strided operand costs nothing beyond this copy, which happens anyway.
/// Ragged panels are zero-padded, so the kernels always compute full tiles.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs the mc × kc block of A (element (i, p) at a[i·rowStride + p·colStride]) into ⌈mc/mr⌉ panels of
    /// mr rows: panel t holds, for each p, the mr values A[t·mr .. t·mr + mr, p] (rows past mc are zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T>(T* a, long rowStride, long colStride, int mc, int kc, int mr, T* packed)
        where T : unmanaged, INumber<T>
    {
        for (int i0 = 0; i0 < mc; i0 += mr)
        {
            int rows = Math.Min(mr, mc - i0);
            T* panel = a + i0 * rowStride;
            if (rows == 6 && mr == 6 && colStride == 1)
            {
                PackSixRows(panel, rowStride, kc, packed);
            }
            else
            {
                PackRows(panel, rowStride, colStride, rows, kc, mr, packed);
            }

            packed += (long)mr * kc;
        }
    }

    /// <summary>
    /// Packs the kc × nc block of B (element (p, j) at b[p·rowStride + j·colStride]) into ⌈nc/nr⌉ panels of
    /// nr columns: panel t holds, for each p, the nr values B[p, t·nr .. t·nr + nr). A last, partial panel is
    /// <paramref name="lastWidth"/> wide (its columns rounded up to whole vectors, zero-filled), for the narrower
    /// kernel that reads it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T>(T* b, long rowStride, long colStride, int kc, int nc, int nr, int lastWidth, T* packed)
        where T : unmanaged, INumber<T>
    {
        int fullPanels = nc / nr;
        int lastColumns = nc - fullPanels * nr;
        long panelSize = (long)nr * kc;
        if (colStride == 1)
        {
            // Row-major B: row by row (k outer, panels inner), each panel row a straight vector copy.
            for (int p = 0; p < kc; p++)
            {
                T* source = b + p * rowStride;
                T* target = packed + (long)p * nr;
                for (int t = 0; t < fullPanels; t++)
                {
                    CopyVectors(source, target, nr);
                    source += nr;
                    target += panelSize;
                }
            }
        }
        else
        {
            // Column-major (transposed) or strided B: walk each source column along k.
            for (int t = 0; t < fullPanels; t++)
            {
                PackColumns(b + (long)t * nr * colStride, rowStride, colStride, kc, nr, nr, packed + t * panelSize);
            }
        }

        if (lastColumns > 0)
        {
            PackColumns(
                b + (long)fullPanels * nr * colStride, rowStride, colStride, kc, lastColumns, lastWidth,
                packed + fullPanels * panelSize);
        }
    }

    /// <summary>Copies n elements, n a multiple of <c>Vector&lt;T&gt;.Count</c> (true of every kernel's nr).</summary>
    private static void CopyVectors<T>(T* source, T* target, int n)
        where T : unmanaged, INumber<T>
    {
        for (int j = 0; j < n; j += Vector<T>.Count)
        {
            Vector.Store(Vector.Load(source + j), target + j);
        }
    }

    /// <summary>The common panel of A: six full rows of a row-major block, one pointer walking each row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackSixRows<T>(T* a, long rowStride, int kc, T* packed)
        where T : unmanaged, INumber<T>
    {
        T* r0 = a, r1 = a + rowStride, r2 = a + 2 * rowStride;
        T* r3 = a + 3 * rowStride, r4 = a + 4 * rowStride, r5 = a + 5 * rowStride;
        for (int p = 0; p < kc; p++)
        {
            packed[0] = r0[p];
            packed[1] = r1[p];
            packed[2] = r2[p];
            packed[3] = r3[p];
            packed[4] = r4[p];
            packed[5] = r5[p];
            packed += 6;
        }
    }

    /// <summary>Any panel of A: rows ≤ mr rows at any strides, zero-padded to mr.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRows<T>(T* a, long rowStride, long colStride, int rows, int kc, int mr, T* packed)
        where T : unmanaged, INumber<T>
    {
        for (int p = 0; p < kc; p++)
        {
            T* source = a + p * colStride;
            int r = 0;
            for (; r < rows; r++)
            {
                packed[r] = source[r * rowStride];
            }

            for (; r < mr; r++)
            {
                packed[r] = T.Zero;
            }

            packed += mr;
        }
    }

    /// <summary>One panel of B, nr wide, from its columns (columns ≤ nr, any strides), zero-padded to nr.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackColumns<T>(T* b, long rowStride, long colStride, int kc, int columns, int nr, T* packed)
        where T : unmanaged, INumber<T>
    {
        for (int j = 0; j < columns; j++)
        {
            T* source = b + j * colStride;
            T* target = packed + j;
            for (int p = 0; p < kc; p++)
            {
                *target = *source;
                source += rowStride;
                target += nr;
            }
        }

        if (columns < nr)
        {
            for (int p = 0; p < kc; p++)
            {
                new Span<T>(packed + (long)p * nr + columns, nr - columns).Clear();
            }
        }
    }
}
