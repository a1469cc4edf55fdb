using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The im2col lowering of one group of one sample, restricted to a band of output rows so the
/// column matrix stays in L2: col[(c·kh + i)·kw + j, r·OW + ow] = x[c, ih, iw] with
/// ih = (oh0 + r)·strideH − padH + i·dilationH and iw = ow·strideW − padW + j·dilationW
/// (zero outside the image). <see cref="Scatter{T}"/> is its adjoint (col2im, adding).
/// </summary>
internal static unsafe class Im2Col
{
    /// <summary>
    /// Fills col[PatchSize × rows·OutWidth] (row k at col + k·<paramref name="ld"/>) from the
    /// <c>InChannelsPerGroup</c> planes at <paramref name="x"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gather<T>(in Conv2dGeometry g, T* x, int oh0, int rows, T* col, long ld) where T : unmanaged, INumber<T>
    {
        Debug.Assert(oh0 >= 0 && rows > 0 && oh0 + rows <= g.OutHeight);
        if (rows == g.OutHeight && IsSmallPlane(g))
        {
            GatherSmallPlanes(g, x, col, ld);
            return;
        }
        int outWidth = g.OutWidth, inHeight = g.InHeight, inWidth = g.InWidth, strideW = g.StrideW;
        long plane = (long)inHeight * inWidth;
        Span<int> ranges = g.KernelWidth <= 64 ? stackalloc int[2 * g.KernelWidth] : new int[2 * g.KernelWidth];
        ValidRanges(g, ranges);
        T* dst = col;
        for (int c = 0; c < g.InChannelsPerGroup; c++)
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++, dst += ld)
                {
                    int offsetW = j * g.DilationW - g.PadW;
                    int owLo = ranges[2 * j], owHi = ranges[(2 * j) + 1];
                    for (int r = 0; r < rows; r++)
                    {
                        T* d = dst + (long)r * outWidth;
                        int ih = (oh0 + r) * g.StrideH - g.PadH + i * g.DilationH;
                        if ((uint)ih >= (uint)inHeight)
                        {
                            Fill(d, outWidth);
                            continue;
                        }
                        T* src = x + c * plane + (long)ih * inWidth + offsetW; // src[ow·strideW] = x[c, ih, iw]
                        for (int ow = 0; ow < owLo; ow++) d[ow] = T.Zero;
                        if (strideW == 1) Copy(src + owLo, d + owLo, owHi - owLo);
                        else for (int ow = owLo; ow < owHi; ow++) d[ow] = src[(long)ow * strideW];
                        for (int ow = owHi; ow < outWidth; ow++) d[ow] = T.Zero;
                    }
                }
    }

    /// <summary>x[c, ih, iw] += col[…] for every entry <see cref="Gather{T}"/> would have read from x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scatter<T>(in Conv2dGeometry g, T* col, long ld, int oh0, int rows, T* x) where T : unmanaged, INumber<T>
    {
        Debug.Assert(oh0 >= 0 && rows > 0 && oh0 + rows <= g.OutHeight);
        if (rows == g.OutHeight && IsSmallPlane(g))
        {
            ScatterSmallPlanes(g, col, ld, x);
            return;
        }
        int outWidth = g.OutWidth, inHeight = g.InHeight, inWidth = g.InWidth, strideW = g.StrideW;
        long plane = (long)inHeight * inWidth;
        Span<int> ranges = g.KernelWidth <= 64 ? stackalloc int[2 * g.KernelWidth] : new int[2 * g.KernelWidth];
        ValidRanges(g, ranges);
        T* src = col;
        for (int c = 0; c < g.InChannelsPerGroup; c++)
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++, src += ld)
                {
                    int offsetW = j * g.DilationW - g.PadW;
                    int owLo = ranges[2 * j], owHi = ranges[(2 * j) + 1];
                    if (owHi <= owLo) continue;
                    for (int r = 0; r < rows; r++)
                    {
                        int ih = (oh0 + r) * g.StrideH - g.PadH + i * g.DilationH;
                        if ((uint)ih >= (uint)inHeight) continue;
                        T* s = src + (long)r * outWidth;
                        T* d = x + c * plane + (long)ih * inWidth + offsetW;
                        if (strideW == 1) Add(s + owLo, d + owLo, owHi - owLo);
                        else for (int ow = owLo; ow < owHi; ow++) d[(long)ow * strideW] += s[ow];
                    }
                }
    }

    /// <summary>
    /// Whether <paramref name="g"/> is a strided 1×1 layer without padding (ResNet's downsampling shortcut): each output
    /// pixel reads one input pixel and no two read the same one, so the adjoint of its gather can write the input rows
    /// outright, zeros between the samples (<see cref="WriteStridedPoints{T}"/>), instead of adding into planes cleared
    /// beforehand (one pass over the input gradient instead of two). Its gather stays on the table of
    /// <see cref="GatherSmallPlanes{T}"/>: a subsample by AVX-512 permutes was faster alone but made the forward and
    /// weight-gradient passes slower there (bench <c>conv</c>, conv-down; figures in bench/README.md).
    /// </summary>
    internal static bool IsStridedPoint(in Conv2dGeometry g) =>
        g.KernelHeight == 1 && g.KernelWidth == 1 && g.PadH == 0 && g.PadW == 0 && (g.StrideH > 1 || g.StrideW > 1);

    /// <summary>A mask of the first <paramref name="count"/> float lanes (0 ≤ count ≤ 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lanes(int count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    /// <summary>
    /// The adjoint of <see cref="Gather{T}"/> for <see cref="IsStridedPoint"/> layers and output rows [oh0, oh0 + rows), written rather than added:
    /// x[c, ih, iw] = col[c, r·OW + ow] where (ih, iw) = ((oh0 + r)·strideH, ow·strideW), and 0 at every other pixel of
    /// input rows [oh0·strideH, (oh0 + rows)·strideH) — through the last input row when the band ends the plane — so
    /// consecutive bands cover each plane exactly once. (A float32 row of stride 2 interleaves its values with zeros by
    /// one permute per 8 outputs.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WriteStridedPoints<T>(in Conv2dGeometry g, T* col, long ld, int oh0, int rows, T* x) where T : unmanaged, INumber<T>
    {
        Debug.Assert(IsStridedPoint(g) && oh0 >= 0 && rows > 0 && oh0 + rows <= g.OutHeight);
        int outWidth = g.OutWidth, inWidth = g.InWidth, strideH = g.StrideH, strideW = g.StrideW;
        long plane = (long)g.InHeight * inWidth;
        int firstRow = oh0 * strideH, endRow = oh0 + rows == g.OutHeight ? g.InHeight : (oh0 + rows) * strideH;
        bool interleave = typeof(T) == typeof(float) && strideW == 2 && Avx512F.IsSupported && CpuFeatures.Active >= CpuIsa.Avx512;
        for (int c = 0; c < g.InChannelsPerGroup; c++)
            for (int ih = firstRow; ih < endRow; ih++)
            {
                T* d = x + c * plane + (long)ih * inWidth;
                int r = (ih / strideH) - oh0;
                if (ih % strideH != 0 || r >= rows)
                {
                    Fill(d, inWidth);
                    continue;
                }
                T* s = col + c * ld + (long)r * outWidth;
                if (interleave)
                {
                    InterleaveZeros((float*)s, (float*)d, outWidth, inWidth);
                    continue;
                }
                Fill(d, inWidth);
                for (int ow = 0; ow < outWidth; ow++) d[(long)ow * strideW] = s[ow];
            }
    }

    /// <summary>d[2i] = s[i], d[2i + 1] = 0 for 2i + 1 &lt; width (count = ⌈width / 2⌉ values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InterleaveZeros(float* s, float* d, int count, int width)
    {
        var spread = Vector512.Create(0, 16, 1, 16, 2, 16, 3, 16, 4, 16, 5, 16, 6, 16, 7, 16);
        for (int at = 0; at < count; at += 8)
        {
            int values = Math.Min(8, count - at), outputs = Math.Min(16, width - (2 * at));
            var v = Avx512F.MaskLoad(s + at, Lanes(values), Vector512<float>.Zero);
            Avx512F.MaskStore(d + (2 * at), Lanes(outputs), Avx512F.PermuteVar16x32x2(v, spread, Vector512<float>.Zero));
        }
    }

    /// <summary>
    /// Whole output planes of at most this many patch entries (taps × output pixels) go through an index table
    /// (<see cref="GatherSmallPlanes{T}"/>): ResNet-18's last stages at 96 px (6×6 and 3×3 images), whose rows of
    /// 3–6 pixels made the row-by-row copy's bookkeeping cost more than the copying.
    /// </summary>
    private const int SmallPlaneEntries = 1024;

    private static bool IsSmallPlane(in Conv2dGeometry g) =>
        (long)g.PatchSize / g.InChannelsPerGroup * g.OutHeight * g.OutWidth <= SmallPlaneEntries &&
        (long)g.InHeight * g.InWidth < SmallPlaneEntries;

    /// <summary>
    /// table[t·P + p] = the input position (ih·W + iw) that tap t = i·kw + j reads for output pixel p of the plane,
    /// or the plane's size (an extra zero slot) where it falls in the padding. The same for every channel.
    /// Returns whether any entry falls in the padding (without, the planes are read and written in place).
    /// </summary>
    private static bool PlaneTable(in Conv2dGeometry g, Span<int> table)
    {
        int pixels = g.OutHeight * g.OutWidth, plane = g.InHeight * g.InWidth;
        bool padded = false;
        for (int i = 0, t = 0; i < g.KernelHeight; i++)
            for (int j = 0; j < g.KernelWidth; j++, t++)
                for (int oh = 0, p = 0; oh < g.OutHeight; oh++)
                    for (int ow = 0; ow < g.OutWidth; ow++, p++)
                    {
                        int ih = oh * g.StrideH - g.PadH + i * g.DilationH, iw = ow * g.StrideW - g.PadW + j * g.DilationW;
                        bool inside = (uint)ih < (uint)g.InHeight && (uint)iw < (uint)g.InWidth;
                        table[t * pixels + p] = inside ? ih * g.InWidth + iw : plane;
                        padded |= !inside;
                    }
        return padded;
    }

    /// <summary><see cref="Gather{T}"/> of whole small planes: each channel copied once beside a zero (when the table reads padding), then read through the table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatherSmallPlanes<T>(in Conv2dGeometry g, T* x, T* col, long ld) where T : unmanaged, INumber<T>
    {
        int taps = g.KernelHeight * g.KernelWidth, pixels = g.OutHeight * g.OutWidth, plane = g.InHeight * g.InWidth;
        Span<int> table = stackalloc int[taps * pixels];
        bool padded = PlaneTable(g, table);
        T* buffer = stackalloc T[plane + 1];
        buffer[plane] = T.Zero;
        T* dst = col;
        fixed (int* index = table)
            for (int c = 0; c < g.InChannelsPerGroup; c++)
            {
                // Without padding the plane is read in place (a strided 1×1 layer reads only a quarter of it).
                T* source = x + (long)c * plane;
                T* channel = padded ? buffer : source;
                if (padded) Copy(source, channel, plane);
                for (int t = 0; t < taps; t++, dst += ld)
                {
                    int* row = index + t * pixels;
                    for (int p = 0; p < pixels; p++) dst[p] = channel[row[p]];
                }
            }
    }

    /// <summary><see cref="Scatter{T}"/> of whole small planes: each channel summed in a copy (its extra slot takes the padding's terms), then written back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScatterSmallPlanes<T>(in Conv2dGeometry g, T* col, long ld, T* x) where T : unmanaged, INumber<T>
    {
        int taps = g.KernelHeight * g.KernelWidth, pixels = g.OutHeight * g.OutWidth, plane = g.InHeight * g.InWidth;
        Span<int> table = stackalloc int[taps * pixels];
        bool padded = PlaneTable(g, table);
        T* buffer = stackalloc T[plane + 1];
        T* src = col;
        fixed (int* index = table)
            for (int c = 0; c < g.InChannelsPerGroup; c++)
            {
                T* target = x + (long)c * plane;
                T* channel = padded ? buffer : target;
                if (padded) Copy(target, channel, plane);
                for (int t = 0; t < taps; t++, src += ld)
                {
                    int* row = index + t * pixels;
                    for (int p = 0; p < pixels; p++) channel[row[p]] += src[p];
                }
                if (padded) Copy(channel, target, plane);
            }
    }

    // Rows are short (one output row, often 12–56 elements), so these inline vector loops beat
    // Span.CopyTo/Clear and TensorPrimitives, whose per-call overhead dominated im2col (~3×).

    /// <summary>dst[0..length) = src[0..length); the last vector may overlap the previous one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Copy<T>(T* src, T* dst, int length) where T : unmanaged, INumber<T>
    {
        int width = Vector256<T>.Count;
        if (length < width)
        {
            for (int k = 0; k < length; k++) dst[k] = src[k];
            return;
        }
        int at = 0;
        for (; at + width <= length; at += width) Vector256.Load(src + at).Store(dst + at);
        if (at < length) Vector256.Load(src + length - width).Store(dst + length - width);
    }

    /// <summary>dst[0..length) = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Fill<T>(T* dst, int length) where T : unmanaged, INumber<T>
    {
        int width = Vector256<T>.Count, at = 0;
        for (; at + width <= length; at += width) Vector256<T>.Zero.Store(dst + at);
        for (; at < length; at++) dst[at] = T.Zero;
    }

    /// <summary>dst[0..length) += src[0..length) (no overlapping tail: adding twice would be wrong).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Add<T>(T* src, T* dst, int length) where T : unmanaged, INumber<T>
    {
        int width = Vector256<T>.Count, at = 0;
        for (; at + width <= length; at += width) (Vector256.Load(dst + at) + Vector256.Load(src + at)).Store(dst + at);
        for (; at < length; at++) dst[at] += src[at];
    }

    /// <summary>
    /// For each kernel column j, the output columns [lo, hi) whose input column ow·strideW + j·dilationW − padW lies
    /// inside the row, as ranges[2j], ranges[2j + 1]: they depend on j alone, so they are worked out (two divisions
    /// each) once per call instead of once per channel and kernel row.
    /// </summary>
    internal static void ValidRanges(in Conv2dGeometry g, Span<int> ranges)
    {
        for (int j = 0; j < g.KernelWidth; j++)
        {
            ValidRange((j * g.DilationW) - g.PadW, g.StrideW, g.InWidth, g.OutWidth, out ranges[2 * j], out ranges[(2 * j) + 1]);
        }
    }

    /// <summary>Output columns [lo, hi) whose input column ow·stride + offset lies in [0, width).</summary>
    internal static void ValidRange(int offset, int stride, int width, int outWidth, out int lo, out int hi)
    {
        lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        hi = width - 1 - offset >= 0 ? Math.Min(outWidth, (width - 1 - offset) / stride + 1) : 0;
        lo = Math.Min(lo, outWidth);
        if (hi < lo) hi = lo;
    }
}
