using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

/// <summary>
/// 2-D pooling kernels over contiguous NCHW data (float32 and float64), forward and backward,
/// following PyTorch's CPU kernels window for window: max pooling with indices (flat ih·W + iw
/// within each plane, NaN wins), average pooling (count_include_pad, divisor_override, ceil_mode),
/// and adaptive average / max pooling with windows [⌊i·in/out⌋, ⌈(i+1)·in/out⌉).
/// Every plane (n, c) is independent, so work is split over planes. Backward passes overwrite gradInput.
/// </summary>
internal static unsafe class Pooling
{
    /// <summary>output = max over each window; indices[n, c, oh, ow] = ih·InWidth + iw of the maximum.</summary>
    public static void MaxPool2dForward(in Pool2dGeometry g, float* input, float* output, long* indices) => MaxForward(g, input, output, indices);

    /// <inheritdoc cref="MaxPool2dForward(in Pool2dGeometry, float*, float*, long*)"/>
    public static void MaxPool2dForward(in Pool2dGeometry g, double* input, double* output, long* indices) => MaxForward(g, input, output, indices);

    /// <summary>gradInput[plane][indices[o]] += gradOutput[o]: the gradient goes to each window's maximum.</summary>
    public static void MaxPool2dBackward(in Pool2dGeometry g, float* gradOutput, long* indices, float* gradInput) =>
        ScatterByIndex(g.Batch * g.Channels, (long)g.OutHeight * g.OutWidth, (long)g.InHeight * g.InWidth, gradOutput, indices, gradInput);

    /// <inheritdoc cref="MaxPool2dBackward(in Pool2dGeometry, float*, long*, float*)"/>
    public static void MaxPool2dBackward(in Pool2dGeometry g, double* gradOutput, long* indices, double* gradInput) =>
        ScatterByIndex(g.Batch * g.Channels, (long)g.OutHeight * g.OutWidth, (long)g.InHeight * g.InWidth, gradOutput, indices, gradInput);

    /// <summary>
    /// output = Σ window / divisor, divisor = divisorOverride if &gt; 0, else the window's size counted with
    /// padding (clipped at InHeight + PadH, PyTorch's pool_size) if countIncludePad, else the number of input pixels in it.
    /// </summary>
    public static void AvgPool2dForward(in Pool2dGeometry g, float* input, float* output, bool countIncludePad, int divisorOverride = 0) =>
        AvgForward(g, input, output, countIncludePad, divisorOverride);

    /// <inheritdoc cref="AvgPool2dForward(in Pool2dGeometry, float*, float*, bool, int)"/>
    public static void AvgPool2dForward(in Pool2dGeometry g, double* input, double* output, bool countIncludePad, int divisorOverride = 0) =>
        AvgForward(g, input, output, countIncludePad, divisorOverride);

    /// <summary>Each input pixel of a window receives gradOutput / divisor (same divisor as the forward pass).</summary>
    public static void AvgPool2dBackward(in Pool2dGeometry g, float* gradOutput, float* gradInput, bool countIncludePad, int divisorOverride = 0) =>
        AvgBackward(g, gradOutput, gradInput, countIncludePad, divisorOverride);

    /// <inheritdoc cref="AvgPool2dBackward(in Pool2dGeometry, float*, float*, bool, int)"/>
    public static void AvgPool2dBackward(in Pool2dGeometry g, double* gradOutput, double* gradInput, bool countIncludePad, int divisorOverride = 0) =>
        AvgBackward(g, gradOutput, gradInput, countIncludePad, divisorOverride);

    /// <summary>Adaptive average pooling of [planes, inHeight, inWidth] to [planes, outHeight, outWidth] (planes = N·C).</summary>
    public static void AdaptiveAvgPool2dForward(int planes, int inHeight, int inWidth, int outHeight, int outWidth, float* input, float* output) =>
        AdaptiveAvgForward(planes, inHeight, inWidth, outHeight, outWidth, input, output);

    /// <inheritdoc cref="AdaptiveAvgPool2dForward(int, int, int, int, int, float*, float*)"/>
    public static void AdaptiveAvgPool2dForward(int planes, int inHeight, int inWidth, int outHeight, int outWidth, double* input, double* output) =>
        AdaptiveAvgForward(planes, inHeight, inWidth, outHeight, outWidth, input, output);

    /// <summary>Each input pixel of a window receives gradOutput / window size.</summary>
    public static void AdaptiveAvgPool2dBackward(int planes, int inHeight, int inWidth, int outHeight, int outWidth, float* gradOutput, float* gradInput) =>
        AdaptiveAvgBackward(planes, inHeight, inWidth, outHeight, outWidth, gradOutput, gradInput);

    /// <inheritdoc cref="AdaptiveAvgPool2dBackward(int, int, int, int, int, float*, float*)"/>
    public static void AdaptiveAvgPool2dBackward(int planes, int inHeight, int inWidth, int outHeight, int outWidth, double* gradOutput, double* gradInput) =>
        AdaptiveAvgBackward(planes, inHeight, inWidth, outHeight, outWidth, gradOutput, gradInput);

    /// <summary>Adaptive max pooling with indices (flat ih·inWidth + iw per plane), windows as in <see cref="AdaptiveAvgPool2dForward(int, int, int, int, int, float*, float*)"/>.</summary>
    public static void AdaptiveMaxPool2dForward(int planes, int inHeight, int inWidth, int outHeight, int outWidth, float* input, float* output, long* indices) =>
        AdaptiveMaxForward(planes, inHeight, inWidth, outHeight, outWidth, input, output, indices);

    /// <inheritdoc cref="AdaptiveMaxPool2dForward(int, int, int, int, int, float*, float*, long*)"/>
    public static void AdaptiveMaxPool2dForward(int planes, int inHeight, int inWidth, int outHeight, int outWidth, double* input, double* output, long* indices) =>
        AdaptiveMaxForward(planes, inHeight, inWidth, outHeight, outWidth, input, output, indices);

    /// <summary>gradInput[plane][indices[o]] += gradOutput[o].</summary>
    public static void AdaptiveMaxPool2dBackward(int planes, int inHeight, int inWidth, int outHeight, int outWidth, float* gradOutput, long* indices, float* gradInput) =>
        ScatterByIndex(planes, (long)outHeight * outWidth, (long)inHeight * inWidth, gradOutput, indices, gradInput);

    /// <inheritdoc cref="AdaptiveMaxPool2dBackward(int, int, int, int, int, float*, long*, float*)"/>
    public static void AdaptiveMaxPool2dBackward(int planes, int inHeight, int inWidth, int outHeight, int outWidth, double* gradOutput, long* indices, double* gradInput) =>
        ScatterByIndex(planes, (long)outHeight * outWidth, (long)inHeight * inWidth, gradOutput, indices, gradInput);

    /// <summary>First input row (or column) of adaptive window i: ⌊i·in/out⌋.</summary>
    public static int AdaptiveStart(int i, int inSize, int outSize) => (int)((long)i * inSize / outSize);

    /// <summary>One past the last input row (or column) of adaptive window i: ⌈(i+1)·in/out⌉.</summary>
    public static int AdaptiveEnd(int i, int inSize, int outSize) => (int)(((long)(i + 1) * inSize + outSize - 1) / outSize);

    /// <summary>Planes per parallel chunk: enough work (~16k elements) to pay for the dispatch.</summary>
    private static int MinPlanes(long planeElements) => (int)Math.Max(1, 16384 / Math.Max(1, planeElements));

    private static void MaxForward<T>(Pool2dGeometry g, T* input, T* output, long* indices) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Debug.Assert(g.KernelHeight > 0 && g.KernelWidth > 0 && g.StrideH > 0 && g.StrideW > 0 && g.DilationH > 0 && g.DilationW > 0);
        Debug.Assert(g.PadH * 2 <= g.KernelHeight && g.PadW * 2 <= g.KernelWidth, "PyTorch requires pad ≤ kernel / 2");
        int outHeight = g.OutHeight, outWidth = g.OutWidth, inHeight = g.InHeight, inWidth = g.InWidth;
        long inPlane = (long)inHeight * inWidth, outPlane = (long)outHeight * outWidth;
        bool vectorRows = typeof(T) == typeof(float) && CpuFeatures.Active >= CpuIsa.Avx512 && Avx512F.IsSupported &&
            g.DilationW == 1 && g.StrideW <= 2 && inPlane <= int.MaxValue;
        WorkerPool.For(g.Batch * g.Channels, MinPlanes(inPlane), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            for (int plane = start; plane < end; plane++)
            {
                T* x = input + plane * inPlane;
                T* y = output + plane * outPlane;
                long* index = indices + plane * outPlane;
                for (int oh = 0; oh < outHeight; oh++)
                {
                    // Window rows ih0, ih0 + d, … < ih1, first row moved onto the image (PyTorch's cpu_max_pool).
                    int ih0 = oh * g.StrideH - g.PadH;
                    int ih1 = Math.Min(ih0 + (g.KernelHeight - 1) * g.DilationH + 1, inHeight);
                    while (ih0 < 0) ih0 += g.DilationH;
                    // Windows wholly inside the row, 16 outputs at a time (float32, AVX-512, dilation 1, stride 1 or 2).
                    int vectorFrom = 0, vectorTo = 0;
                    if (vectorRows)
                    {
                        vectorFrom = Math.Min(outWidth, (g.PadW + g.StrideW - 1) / g.StrideW);
                        int lastStart = inWidth - g.KernelWidth + g.PadW; // windows starting past it reach beyond the row
                        vectorTo = lastStart < 0 ? vectorFrom : Math.Max(vectorFrom, Math.Min(outWidth, lastStart / g.StrideW + 1));
                        MaxRowAvx512(g, (float*)x, ih0, ih1, vectorFrom, vectorTo, (float*)y + oh * outWidth, index + oh * outWidth);
                    }
                    for (int ow = 0; ow < outWidth; ow++)
                    {
                        if (ow == vectorFrom && vectorTo > vectorFrom)
                        {
                            ow = vectorTo - 1;
                            continue;
                        }
                        int iw0 = ow * g.StrideW - g.PadW;
                        int iw1 = Math.Min(iw0 + (g.KernelWidth - 1) * g.DilationW + 1, inWidth);
                        while (iw0 < 0) iw0 += g.DilationW;
                        long best = (long)ih0 * inWidth + iw0;
                        T max = T.NegativeInfinity;
                        for (int ih = ih0; ih < ih1; ih += g.DilationH)
                            for (int iw = iw0; iw < iw1; iw += g.DilationW)
                            {
                                long at = (long)ih * inWidth + iw;
                                T value = x[at];
                                if (value > max || T.IsNaN(value)) { max = value; best = at; }
                            }
                        y[oh * outWidth + ow] = max;
                        index[oh * outWidth + ow] = best;
                    }
                }
            }
        });
    }

    /// <summary>
    /// Outputs [from, to) of one output row whose windows lie wholly inside the input row (columns
    /// ow·s − pad … + kw − 1), rows ih0, ih0 + dilation, … &lt; ih1 of plane <paramref name="x"/>: 16 outputs per vector, each lane
    /// taking the same window positions in the same order as the scalar loop, so the maxima, the NaN rule and
    /// the first-of-ties index are the same. Stride 2 reads 32 consecutive inputs and keeps the even lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxRowAvx512(in Pool2dGeometry g, float* x, int ih0, int ih1, int from, int to, float* y, long* index)
    {
        int inWidth = g.InWidth, stride = g.StrideW, kw = g.KernelWidth;
        var lanes = Vector512<int>.Indices;
        var laneOffsets = stride == 1 ? lanes : Avx512F.ShiftLeftLogical(lanes, 1);
        var evens = Avx512F.ShiftLeftLogical(lanes, 1);
        for (int ow0 = from; ow0 < to; ow0 += 16)
        {
            int count = Math.Min(16, to - ow0);
            // The inputs one tap reads for the vector's lanes: (count − 1)·s + 1, the first (up to) 16 and the rest.
            int span = (count - 1) * stride + 1;
            var lowMask = Vector512.LessThan(lanes, Vector512.Create(span)).AsSingle();
            var highMask = Vector512.LessThan(lanes, Vector512.Create(span - 16)).AsSingle();
            int first = ow0 * stride - g.PadW;
            var max = Vector512.Create(float.NegativeInfinity);
            var best = Avx512F.Add(Vector512.Create(ih0 * inWidth + first), laneOffsets);
            for (int ih = ih0; ih < ih1; ih += g.DilationH)
                for (int j = 0; j < kw; j++)
                {
                    int at = ih * inWidth + first + j;
                    Vector512<float> v;
                    if (stride == 1) v = Avx512F.MaskLoad(x + at, lowMask, Vector512<float>.Zero);
                    else
                    {
                        var low = Avx512F.MaskLoad(x + at, lowMask, Vector512<float>.Zero);
                        var high = Avx512F.MaskLoad(x + at + 16, highMask, Vector512<float>.Zero);
                        v = Avx512F.PermuteVar16x32x2(low, evens, high);
                    }
                    var take = Vector512.BitwiseOr(Avx512F.CompareGreaterThan(v, max), Avx512F.CompareUnordered(v, v));
                    max = Vector512.ConditionalSelect(take, v, max);
                    best = Vector512.ConditionalSelect(take.AsInt32(), Avx512F.Add(Vector512.Create(at), laneOffsets), best);
                }
            var outMask = Vector512.LessThan(lanes, Vector512.Create(count));
            Avx512F.MaskStore(y + ow0, outMask.AsSingle(), max);
            var wide = Avx512F.ConvertToVector512Int64(best.GetLower());
            Avx512F.MaskStore(index + ow0, Avx512F.ConvertToVector512Int64(outMask.GetLower()), wide);
            if (count > 8)
                Avx512F.MaskStore(index + ow0 + 8, Avx512F.ConvertToVector512Int64(outMask.GetUpper()), Avx512F.ConvertToVector512Int64(best.GetUpper()));
        }
    }

    private static void ScatterByIndex<T>(int planes, long outPlane, long inPlane, T* gradOutput, long* indices, T* gradInput) where T : unmanaged, INumber<T>
    {
        WorkerPool.For(planes, MinPlanes(inPlane), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            for (int plane = start; plane < end; plane++)
            {
                T* dx = gradInput + plane * inPlane;
                T* dy = gradOutput + plane * outPlane;
                long* index = indices + plane * outPlane;
                new Span<T>(dx, checked((int)inPlane)).Clear();
                for (long o = 0; o < outPlane; o++)
                {
                    Debug.Assert(index[o] >= 0 && index[o] < inPlane);
                    dx[index[o]] += dy[o];
                }
            }
        });
    }

    /// <summary>Window [ih0, ih1) × [iw0, iw1) clipped to the image and its divisor, as PyTorch's cpu_avg_pool computes them.</summary>
    private static int AvgWindow(in Pool2dGeometry g, int oh, int ow, bool countIncludePad, int divisorOverride,
        out int ih0, out int ih1, out int iw0, out int iw1)
    {
        ih0 = oh * g.StrideH - g.PadH;
        iw0 = ow * g.StrideW - g.PadW;
        ih1 = Math.Min(ih0 + g.KernelHeight, g.InHeight + g.PadH);
        iw1 = Math.Min(iw0 + g.KernelWidth, g.InWidth + g.PadW);
        int poolSize = (ih1 - ih0) * (iw1 - iw0);
        ih0 = Math.Max(ih0, 0);
        iw0 = Math.Max(iw0, 0);
        ih1 = Math.Min(ih1, g.InHeight);
        iw1 = Math.Min(iw1, g.InWidth);
        if (divisorOverride > 0) return divisorOverride;
        return countIncludePad ? poolSize : (ih1 - ih0) * (iw1 - iw0);
    }

    /// <summary>
    /// Whether every window lies inside the image and windows do not overlap (kernel = stride, no
    /// padding): the layout of LeNet's and most networks' average pooling. Then each window has the
    /// same divisor and the loops need no clipping.
    /// </summary>
    private static bool IsTiled(in Pool2dGeometry g) =>
        g.PadH == 0 && g.PadW == 0 && g.StrideH == g.KernelHeight && g.StrideW == g.KernelWidth &&
        g.OutHeight * g.StrideH <= g.InHeight && g.OutWidth * g.StrideW <= g.InWidth;

    /// <summary>
    /// y[o] = scale · (row[2o] + row[2o+1] + next[2o] + next[2o+1]) for 8 outputs at a time (AVX2): the two
    /// rows are added, then neighbours by a horizontal add whose lane order a 64-bit permute restores.
    /// Returns how many outputs it wrote; the caller finishes the row.
    /// </summary>
    private static int Pairs2x2(float* row, float* next, float* y, int outWidth, float scale)
    {
        if (!Avx2.IsSupported) return 0;
        var s = Vector256.Create(scale);
        int ow = 0;
        for (; ow + 8 <= outWidth; ow += 8)
        {
            var low = Avx.Add(Avx.LoadVector256(row + 2 * ow), Avx.LoadVector256(next + 2 * ow));
            var high = Avx.Add(Avx.LoadVector256(row + 2 * ow + 8), Avx.LoadVector256(next + 2 * ow + 8));
            var sums = Avx2.Permute4x64(Avx.HorizontalAdd(low, high).AsDouble(), 0b11_01_10_00).AsSingle();
            Avx.Store(y + ow, Avx.Multiply(sums, s));
        }
        return ow;
    }

    /// <summary>The adjoint of <see cref="Pairs2x2"/>: each of 8 gradients, times scale, written to its 2×2 window.</summary>
    private static int Spread2x2(float* dy, float* row, float* next, int outWidth, float scale)
    {
        if (!Avx2.IsSupported) return 0;
        var s = Vector256.Create(scale);
        int ow = 0;
        for (; ow + 8 <= outWidth; ow += 8)
        {
            var d = Avx.Multiply(Avx.LoadVector256(dy + ow), s);
            var lows = Avx.UnpackLow(d, d);   // d0 d0 d1 d1 | d4 d4 d5 d5
            var highs = Avx.UnpackHigh(d, d); // d2 d2 d3 d3 | d6 d6 d7 d7
            var first = Avx.Permute2x128(lows, highs, 0x20);  // d0 d0 … d3 d3
            var second = Avx.Permute2x128(lows, highs, 0x31); // d4 d4 … d7 d7
            Avx.Store(row + 2 * ow, first);
            Avx.Store(row + 2 * ow + 8, second);
            Avx.Store(next + 2 * ow, first);
            Avx.Store(next + 2 * ow + 8, second);
        }
        return ow;
    }

    /// <summary>Average pooling over non-overlapping windows inside the image (<see cref="IsTiled"/>), 2×2 unrolled.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TiledAvgForward<T>(in Pool2dGeometry g, T* x, T* y, T scale) where T : unmanaged, INumber<T>
    {
        int outHeight = g.OutHeight, outWidth = g.OutWidth, inWidth = g.InWidth, kh = g.KernelHeight, kw = g.KernelWidth;
        for (int oh = 0; oh < outHeight; oh++, y += outWidth)
        {
            T* row = x + (long)oh * kh * inWidth;
            if (kh == 2 && kw == 2)
            {
                T* next = row + inWidth;
                int ow = typeof(T) == typeof(float) ? Pairs2x2((float*)row, (float*)next, (float*)y, outWidth, float.CreateTruncating(scale)) : 0;
                for (; ow < outWidth; ow++)
                    y[ow] = (row[2 * ow] + row[2 * ow + 1] + next[2 * ow] + next[2 * ow + 1]) * scale;
                continue;
            }
            for (int ow = 0; ow < outWidth; ow++)
            {
                T sum = T.Zero;
                for (int i = 0; i < kh; i++)
                {
                    T* window = row + (long)i * inWidth + ow * kw;
                    for (int j = 0; j < kw; j++) sum += window[j];
                }
                y[ow] = sum * scale;
            }
        }
    }

    /// <summary>The adjoint of <see cref="TiledAvgForward{T}"/>: each input cell of a window gets scale × its output's gradient; uncovered cells get 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TiledAvgBackward<T>(in Pool2dGeometry g, T* dy, T* dx, T scale) where T : unmanaged, INumber<T>
    {
        int outHeight = g.OutHeight, outWidth = g.OutWidth, inHeight = g.InHeight, inWidth = g.InWidth, kh = g.KernelHeight, kw = g.KernelWidth;
        if (outHeight * kh < inHeight || outWidth * kw < inWidth)
            new Span<T>(dx, inHeight * inWidth).Clear(); // the right or bottom strip no window covers
        for (int oh = 0; oh < outHeight; oh++, dy += outWidth)
        {
            T* row = dx + (long)oh * kh * inWidth;
            if (kh == 2 && kw == 2)
            {
                T* next = row + inWidth;
                int ow = typeof(T) == typeof(float) ? Spread2x2((float*)dy, (float*)row, (float*)next, outWidth, float.CreateTruncating(scale)) : 0;
                for (; ow < outWidth; ow++)
                {
                    T share = dy[ow] * scale;
                    row[2 * ow] = share;
                    row[2 * ow + 1] = share;
                    next[2 * ow] = share;
                    next[2 * ow + 1] = share;
                }
                continue;
            }
            for (int ow = 0; ow < outWidth; ow++)
            {
                T share = dy[ow] * scale;
                for (int i = 0; i < kh; i++)
                {
                    T* window = row + (long)i * inWidth + ow * kw;
                    for (int j = 0; j < kw; j++) window[j] = share;
                }
            }
        }
    }

    private static void AvgForward<T>(Pool2dGeometry g, T* input, T* output, bool countIncludePad, int divisorOverride) where T : unmanaged, INumber<T>
    {
        Debug.Assert(g.DilationH == 1 && g.DilationW == 1, "average pooling has no dilation");
        if (IsTiled(g))
        {
            T scale = T.One / T.CreateChecked(divisorOverride > 0 ? divisorOverride : g.KernelHeight * g.KernelWidth);
            long inPlaneSize = (long)g.InHeight * g.InWidth, outPlaneSize = (long)g.OutHeight * g.OutWidth;
            // The operands go to the workers as a value, not a closure: a compiled graph's call allocates nothing.
            WorkerPool.For(g.Batch * g.Channels, MinPlanes(inPlaneSize), new TiledAverage<T>(g, (nint)input, (nint)output, inPlaneSize, outPlaneSize, scale),
                [MethodImpl(MethodImplOptions.AggressiveOptimization)] static (a, start, end) =>
                {
                    for (int plane = start; plane < end; plane++) TiledAvgForward(a.G, (T*)a.Input + plane * a.InPlane, (T*)a.Output + plane * a.OutPlane, a.Scale);
                });
            return;
        }
        AvgForwardWindows(g, input, output, countIncludePad, divisorOverride);
    }

    private readonly record struct TiledAverage<T>(Pool2dGeometry G, nint Input, nint Output, long InPlane, long OutPlane, T Scale);

    /// <summary>Average pooling window by window (padding, overlapping or partial windows).</summary>
    private static void AvgForwardWindows<T>(Pool2dGeometry g, T* input, T* output, bool countIncludePad, int divisorOverride) where T : unmanaged, INumber<T>
    {
        int outHeight = g.OutHeight, outWidth = g.OutWidth, inWidth = g.InWidth;
        long inPlane = (long)g.InHeight * inWidth, outPlane = (long)outHeight * outWidth;
        WorkerPool.For(g.Batch * g.Channels, MinPlanes(inPlane), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            for (int plane = start; plane < end; plane++)
            {
                T* x = input + plane * inPlane;
                T* y = output + plane * outPlane;
                for (int oh = 0; oh < outHeight; oh++)
                    for (int ow = 0; ow < outWidth; ow++)
                    {
                        int divisor = AvgWindow(g, oh, ow, countIncludePad, divisorOverride, out int ih0, out int ih1, out int iw0, out int iw1);
                        if (ih0 >= ih1 || iw0 >= iw1)
                        {
                            y[oh * outWidth + ow] = T.Zero; // a window entirely in the padding
                            continue;
                        }
                        T sum = T.Zero;
                        for (int ih = ih0; ih < ih1; ih++)
                            for (int iw = iw0; iw < iw1; iw++) sum += x[(long)ih * inWidth + iw];
                        y[oh * outWidth + ow] = sum / T.CreateChecked(divisor);
                    }
            }
        });
    }

    private static void AvgBackward<T>(Pool2dGeometry g, T* gradOutput, T* gradInput, bool countIncludePad, int divisorOverride) where T : unmanaged, INumber<T>
    {
        if (IsTiled(g))
        {
            T scale = T.One / T.CreateChecked(divisorOverride > 0 ? divisorOverride : g.KernelHeight * g.KernelWidth);
            long inPlaneSize = (long)g.InHeight * g.InWidth, outPlaneSize = (long)g.OutHeight * g.OutWidth;
            WorkerPool.For(g.Batch * g.Channels, MinPlanes(inPlaneSize), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
            {
                for (int plane = start; plane < end; plane++) TiledAvgBackward(g, gradOutput + plane * outPlaneSize, gradInput + plane * inPlaneSize, scale);
            });
            return;
        }
        int outHeight = g.OutHeight, outWidth = g.OutWidth, inWidth = g.InWidth;
        long inPlane = (long)g.InHeight * inWidth, outPlane = (long)outHeight * outWidth;
        WorkerPool.For(g.Batch * g.Channels, MinPlanes(inPlane), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            for (int plane = start; plane < end; plane++)
            {
                T* dx = gradInput + plane * inPlane;
                T* dy = gradOutput + plane * outPlane;
                new Span<T>(dx, checked((int)inPlane)).Clear();
                for (int oh = 0; oh < outHeight; oh++)
                    for (int ow = 0; ow < outWidth; ow++)
                    {
                        int divisor = AvgWindow(g, oh, ow, countIncludePad, divisorOverride, out int ih0, out int ih1, out int iw0, out int iw1);
                        T share = dy[oh * outWidth + ow] / T.CreateChecked(divisor);
                        for (int ih = ih0; ih < ih1; ih++)
                            for (int iw = iw0; iw < iw1; iw++) dx[(long)ih * inWidth + iw] += share;
                    }
            }
        });
    }

    private static void AdaptiveAvgForward<T>(int planes, int inHeight, int inWidth, int outHeight, int outWidth, T* input, T* output) where T : unmanaged, INumber<T>
    {
        long inPlane = (long)inHeight * inWidth, outPlane = (long)outHeight * outWidth;
        WorkerPool.For(planes, MinPlanes(inPlane), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            for (int plane = start; plane < end; plane++)
            {
                T* x = input + plane * inPlane;
                T* y = output + plane * outPlane;
                for (int oh = 0; oh < outHeight; oh++)
                {
                    int ih0 = AdaptiveStart(oh, inHeight, outHeight), ih1 = AdaptiveEnd(oh, inHeight, outHeight);
                    for (int ow = 0; ow < outWidth; ow++)
                    {
                        int iw0 = AdaptiveStart(ow, inWidth, outWidth), iw1 = AdaptiveEnd(ow, inWidth, outWidth);
                        T sum = T.Zero;
                        for (int ih = ih0; ih < ih1; ih++)
                            for (int iw = iw0; iw < iw1; iw++) sum += x[(long)ih * inWidth + iw];
                        y[oh * outWidth + ow] = sum / T.CreateChecked((ih1 - ih0) * (iw1 - iw0));
                    }
                }
            }
        });
    }

    private static void AdaptiveAvgBackward<T>(int planes, int inHeight, int inWidth, int outHeight, int outWidth, T* gradOutput, T* gradInput) where T : unmanaged, INumber<T>
    {
        long inPlane = (long)inHeight * inWidth, outPlane = (long)outHeight * outWidth;
        WorkerPool.For(planes, MinPlanes(inPlane), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            for (int plane = start; plane < end; plane++)
            {
                T* dx = gradInput + plane * inPlane;
                T* dy = gradOutput + plane * outPlane;
                new Span<T>(dx, checked((int)inPlane)).Clear();
                for (int oh = 0; oh < outHeight; oh++)
                {
                    int ih0 = AdaptiveStart(oh, inHeight, outHeight), ih1 = AdaptiveEnd(oh, inHeight, outHeight);
                    for (int ow = 0; ow < outWidth; ow++)
                    {
                        int iw0 = AdaptiveStart(ow, inWidth, outWidth), iw1 = AdaptiveEnd(ow, inWidth, outWidth);
                        T share = dy[oh * outWidth + ow] / T.CreateChecked((ih1 - ih0) * (iw1 - iw0));
                        for (int ih = ih0; ih < ih1; ih++)
                            for (int iw = iw0; iw < iw1; iw++) dx[(long)ih * inWidth + iw] += share;
                    }
                }
            }
        });
    }

    private static void AdaptiveMaxForward<T>(int planes, int inHeight, int inWidth, int outHeight, int outWidth, T* input, T* output, long* indices)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long inPlane = (long)inHeight * inWidth, outPlane = (long)outHeight * outWidth;
        WorkerPool.For(planes, MinPlanes(inPlane), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            for (int plane = start; plane < end; plane++)
            {
                T* x = input + plane * inPlane;
                T* y = output + plane * outPlane;
                long* index = indices + plane * outPlane;
                for (int oh = 0; oh < outHeight; oh++)
                {
                    int ih0 = AdaptiveStart(oh, inHeight, outHeight), ih1 = AdaptiveEnd(oh, inHeight, outHeight);
                    for (int ow = 0; ow < outWidth; ow++)
                    {
                        int iw0 = AdaptiveStart(ow, inWidth, outWidth), iw1 = AdaptiveEnd(ow, inWidth, outWidth);
                        long best = (long)ih0 * inWidth + iw0;
                        T max = T.NegativeInfinity;
                        for (int ih = ih0; ih < ih1; ih++)
                            for (int iw = iw0; iw < iw1; iw++)
                            {
                                long at = (long)ih * inWidth + iw;
                                T value = x[at];
                                if (value > max || T.IsNaN(value)) { max = value; best = at; }
                            }
                        y[oh * outWidth + ow] = max;
                        index[oh * outWidth + ow] = best;
                    }
                }
            }
        });
    }
}
