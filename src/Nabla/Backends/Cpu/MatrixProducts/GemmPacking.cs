using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
            else if (rows == 6 && mr == 6 && rowStride == 1)
            {
                PackSixContiguousRows(panel, colStride, kc, packed);
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
    public static void PackB<T>(T* b, long rowStride, long colStride, int kc, int nc, int nr, int lastWidth, T* packed)
        where T : unmanaged, INumber<T> =>
        PackBRows(b, rowStride, colStride, kc, 0, kc, nc, nr, lastWidth, packed, streaming: false);

    /// <summary>
    /// Rows [<paramref name="firstRow"/>, firstRow + <paramref name="rows"/>) of <see cref="PackB"/>'s kc-deep block:
    /// <paramref name="b"/> and <paramref name="packed"/> point at the block's row 0, and each row lands where packing
    /// the whole block puts it, so threads can share a block's packing by ranges of rows.
    /// </summary>
    /// <remarks>
    /// <paramref name="streaming"/>: the rows of a row-major B are written with non-temporal stores, past the caches, where
    /// the hardware has them. That is for a block shared by several threads (<c>Gemm.Parallel.cs</c>): the threads pack
    /// its rows in turn and then all read all of it, so at the next block (or the next product) each line an ordinary store
    /// rewrites is still held by the other cores, and must be taken back from them first. Streamed, the lines go to memory
    /// without that, and the readers fetch them from there. A block one thread packs for itself is written as usual:
    /// it is read from that core's own caches (bench <c>gemm</c>; figures in bench/README.md).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackBRows<T>(
        T* b, long rowStride, long colStride, int kc, int firstRow, int rows, int nc, int nr, int lastWidth, T* packed,
        bool streaming)
        where T : unmanaged, INumber<T>
    {
        int fullPanels = nc / nr;
        int lastColumns = nc - fullPanels * nr;
        long panelSize = (long)nr * kc;
        int endRow = firstRow + rows;
        if (colStride == 1)
        {
            // Row-major B: row by row (k outer, panels inner), each panel row a straight vector copy.
            bool stream = streaming && CanStream<T>(packed, nr);
            for (int p = firstRow; p < endRow; p++)
            {
                T* source = b + p * rowStride;
                T* target = packed + (long)p * nr;
                for (int t = 0; t < fullPanels; t++)
                {
                    if (stream)
                    {
                        StreamVectors((byte*)source, (byte*)target, nr * sizeof(T));
                    }
                    else
                    {
                        CopyVectors(source, target, nr);
                    }

                    source += nr;
                    target += panelSize;
                }
            }

            if (stream)
            {
                // Streaming stores are weakly ordered: they must be visible before the ticket that publishes them.
                Sse.StoreFence();
            }
        }
        else
        {
            // Column-major (transposed) or strided B: walk each source column along k.
            for (int t = 0; t < fullPanels; t++)
            {
                PackColumns(
                    b + firstRow * rowStride + (long)t * nr * colStride, rowStride, colStride, rows, nr, nr,
                    packed + t * panelSize + (long)firstRow * nr);
            }
        }

        if (lastColumns > 0)
        {
            PackColumns(
                b + firstRow * rowStride + (long)fullPanels * nr * colStride, rowStride, colStride, rows, lastColumns,
                lastWidth, packed + fullPanels * panelSize + (long)firstRow * lastWidth);
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

    /// <summary>
    /// Whether panel rows of <paramref name="nr"/> elements from <paramref name="packed"/> on can be streamed: each row a
    /// whole number of 64-byte lines, 64-byte aligned, with 256- or 512-bit streaming stores.
    /// </summary>
    private static bool CanStream<T>(T* packed, int nr)
        where T : unmanaged =>
        Avx.IsSupported && nr * sizeof(T) % 64 == 0 && (nuint)packed % 64 == 0;

    /// <summary>Copies <paramref name="bytes"/> (whole 64-byte lines, 64-byte aligned target) with non-temporal stores.</summary>
    private static void StreamVectors(byte* source, byte* target, int bytes)
    {
        if (Avx512F.IsSupported)
        {
            for (int i = 0; i < bytes; i += 64)
            {
                Avx512F.StoreAlignedNonTemporal(target + i, Vector512.Load(source + i));
            }
        }
        else
        {
            for (int i = 0; i < bytes; i += 32)
            {
                Avx.StoreAlignedNonTemporal(target + i, Vector256.Load(source + i));
            }
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

    /// <summary>
    /// A panel of a transposed A (Aᵀ stored row-major: the six values of one k are contiguous): one six-element
    /// copy per k.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackSixContiguousRows<T>(T* a, long colStride, int kc, T* packed)
        where T : unmanaged, INumber<T>
    {
        for (int p = 0; p < kc; p++)
        {
            Unsafe.CopyBlockUnaligned(packed, a, (uint)(6 * sizeof(T)));
            a += colStride;
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

    /// <summary>
    /// The columns of a panel of B stored contiguously along k (B = Wᵀ for a row-major W: column j at
    /// b + j·colStride), 8 columns × 8 rows at a time: eight 8-float loads, an in-register transpose, eight stores
    /// into the panel's rows. Rows past the last multiple of 8 are copied one by one; returns how many columns
    /// (a multiple of 8) were packed, the caller packing the rest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int PackTransposedColumns(float* b, long colStride, int kc, int columns, int nr, float* packed)
    {
        int blocks = columns / 8 * 8;
        int rows = kc / 8 * 8;
        for (int j = 0; j < blocks; j += 8)
        {
            float* source = b + (j * colStride);
            float* target = packed + j;
            int p = 0;
            for (; p < rows; p += 8)
            {
                Transpose8x8(source + p, colStride, target + ((long)p * nr), nr);
            }

            for (; p < kc; p++)
            {
                for (int jj = 0; jj < 8; jj++)
                {
                    target[((long)p * nr) + jj] = source[(jj * colStride) + p];
                }
            }
        }

        return blocks;
    }

    /// <summary>target[r·targetStride + c] = source[c·sourceStride + r] for an 8 × 8 block of floats (AVX).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* source, long sourceStride, float* target, long targetStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(source);
        Vector256<float> r1 = Avx.LoadVector256(source + sourceStride);
        Vector256<float> r2 = Avx.LoadVector256(source + (2 * sourceStride));
        Vector256<float> r3 = Avx.LoadVector256(source + (3 * sourceStride));
        Vector256<float> r4 = Avx.LoadVector256(source + (4 * sourceStride));
        Vector256<float> r5 = Avx.LoadVector256(source + (5 * sourceStride));
        Vector256<float> r6 = Avx.LoadVector256(source + (6 * sourceStride));
        Vector256<float> r7 = Avx.LoadVector256(source + (7 * sourceStride));

        // Interleave pairs of rows, then pairs of pairs: each 128-bit lane then holds a 4 × 4 transpose.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);

        // Low lanes of rows 0-3 with low lanes of rows 4-7 give output rows 0-3; the high lanes rows 4-7.
        Avx.Store(target, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(target + targetStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(target + (2 * targetStride), Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(target + (3 * targetStride), Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(target + (4 * targetStride), Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(target + (5 * targetStride), Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(target + (6 * targetStride), Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(target + (7 * targetStride), Avx.Permute2x128(s3, s7, 0x31));
    }

    /// <summary>One panel of B, nr wide, from its columns (columns ≤ nr, any strides), zero-padded to nr.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackColumns<T>(T* b, long rowStride, long colStride, int kc, int columns, int nr, T* packed)
        where T : unmanaged, INumber<T>
    {
        int done = 0;
        if (typeof(T) == typeof(float) && rowStride == 1 && Avx.IsSupported && nr % 8 == 0)
        {
            // A transposed operand (each column of B contiguous along k): 8 × 8 blocks through registers.
            done = PackTransposedColumns((float*)b, colStride, kc, columns, nr, (float*)packed);
        }

        for (int j = done; j < columns; j++)
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
