using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Direct float32 convolution vectorised over output channels, for small layers whose output
/// channels fill one or two 16-wide AVX-512 vectors — LeNet's second layer (6 → 16 channels, 5×5
/// on 14×14) is the case in point. There im2col + GEMM pays for a column copy per pass and runs
/// a GEMM with M = 16, which wastes most of the micro-kernel's tile. Here one register holds the
/// 16 output channels of one pixel:
/// <list type="bullet">
/// <item>forward: for up to 12 neighbouring output pixels, acc[p] += xpad[ci, oh+i, ow+p+j] (broadcast) ·
/// w[ci, i, j][0..16] — one weight load per tap, one FMA per pixel;</item>
/// <item>weight gradient: for the taps of two kernel rows (consecutive in input channel × kernel row order), acc[i, j] += xpad[ci, oh+i, ow+j] (broadcast) ·
/// dyᵀ[oh, ow][0..16] over every output pixel, with dy transposed to pixel-major once per sample;
/// per-participant partial sums over samples taken in a fixed order (bit-identical runs).</item>
/// </list>
/// The input gradient of such a layer with at most 8 input channels and rows of at most 16 pixels
/// (LeNet's second again) is direct too. Without column padding it goes row by row: for two input channels
/// and an input row, one accumulator per kernel column sums w · (a whole dy row) over output channels and
/// kernel rows, and the kernel columns' shifts are added in registers (<see cref="InputGradientByRows"/>).
/// Otherwise dx[ci, y, 0..16] = Σ_{co, i, j} w[co, ci, i, j] · dypad[co, y − i, −j ..] over a zero-bordered
/// copy of dy, two input rows × all input channels in registers, one dy load per tap feeding 2 × Cin FMAs.
/// </summary>
internal static unsafe class ChannelVectorConvolution
{
    private const int Lanes = 16;

    /// <summary>Output pixels computed together in the forward (the accumulators a0…a11).</summary>
    private const int Pixels = 12;

    /// <summary>Whether <paramref name="g"/> is a float32 layer this path handles (AVX-512 machines).</summary>
    public static bool Applies<T>(in Conv2dGeometry g) where T : unmanaged =>
        typeof(T) == typeof(float) && CpuFeatures.Active >= CpuIsa.Avx512 && Avx512F.IsSupported &&
        g.Groups == 1 && (g.OutChannels == 16 || g.OutChannels == 32) && g.InChannels <= 64 &&
        g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1 &&
        g.KernelWidth <= 8 && g.KernelHeight * g.KernelWidth > 1 &&
        (long)g.OutHeight * g.OutWidth <= 4096 &&
        (long)(g.InHeight + 2 * g.PadH) * (g.InWidth + 2 * g.PadW) * g.InChannels <= 1 << 20;

    /// <summary>Whether the direct input gradient handles <paramref name="g"/>: <see cref="Applies{T}"/>, Cin ≤ 8 and input rows of at most 16 pixels.</summary>
    public static bool AppliesToInputGradient<T>(in Conv2dGeometry g) where T : unmanaged =>
        Applies<T>(g) && g.InChannels <= 8 && g.InWidth <= Lanes;

    /// <summary>gradInput[N, Cin, H, W] = the adjoint of the convolution applied to gradOutput (overwritten).</summary>
    public static void BackwardInput(Conv2dGeometry g, float* gradOutput, float* weight, float* gradInput)
    {
        if (g.PadW == 0 && g.KernelWidth <= 8)
        {
            Convolution.ForEachTaskInFixedOrder(g.Batch, (participant, n) => InputGradientByRows(g, n, gradOutput, weight, gradInput));
            return;
        }
        // Weights as [co][i][j][8 input channels], zero past Cin, for broadcasts in the inner loop.
        int kh = g.KernelHeight, kw = g.KernelWidth;
        long packedSize = (long)g.OutChannels * kh * kw * 8;
        float* packed = ScratchBuffers.Get<float>(ScratchSlot.Filter, packedSize);
        new Span<float>(packed, (int)packedSize).Clear();
        for (int co = 0; co < g.OutChannels; co++)
            for (int ci = 0; ci < g.InChannels; ci++)
                for (int t = 0; t < kh * kw; t++)
                    packed[((long)co * kh * kw + t) * 8 + ci] = weight[((long)co * g.InChannels + ci) * kh * kw + t];
        Convolution.ForEachTaskInFixedOrder(g.Batch, (participant, n) => InputGradientSample(g, n, gradOutput, packed, gradInput));
    }

    /// <summary>
    /// The input gradient of a layer without column padding, one input row at a time: for input channels ci, ci + 1 and
    /// row y, acc_j = Σ_{i, co} w[co, ci, i, j] · dy[co, y + padH − i, ·] (a dy row in one vector, zero past its end),
    /// then dx[ci, y, x] = Σ_j acc_j[x − j], the kernel columns' shifts done in registers and one store per row. Each FMA
    /// does a tap's work for a whole dy row, so none multiplies the zero border that <see cref="InputGradientSample"/>
    /// reads (LeNet's second layer: 24,000 FMAs a sample instead of 33,600).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputGradientByRows(in Conv2dGeometry g, int n, float* gradOutput, float* weight, float* gradInput)
    {
        int kh = g.KernelHeight, kw = g.KernelWidth, outHeight = g.OutHeight, outWidth = g.OutWidth;
        int inHeight = g.InHeight, inWidth = g.InWidth, cin = g.InChannels, cout = g.OutChannels, taps = kh * kw;
        // dy rows as [co][r][16], zero past the row.
        long rowsStaged = (long)cout * outHeight;
        float* staged = ScratchBuffers.Get<float>(ScratchSlot.ChannelLast, rowsStaged * Lanes);
        new Span<float>(staged, checked((int)(rowsStaged * Lanes))).Clear();
        float* dy = gradOutput + (long)n * rowsStaged * outWidth;
        for (long row = 0; row < rowsStaged; row++)
            new ReadOnlySpan<float>(dy + row * outWidth, outWidth).CopyTo(new Span<float>(staged + row * Lanes, outWidth));
        float* dx = gradInput + (long)n * cin * inHeight * inWidth;
        var rowMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(inWidth)).AsSingle();
        long coStride = (long)outHeight * Lanes, weightCoStride = (long)cin * taps;
        for (int ci = 0; ci < cin; ci += 2)
        {
            // An odd last channel is computed twice, into b… too, and stored once.
            bool pair = ci + 1 < cin;
            for (int y = 0; y < inHeight; y++)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
                // Kernel rows i read dy row y + padH − i, when it exists.
                int firstRow = Math.Max(0, y + g.PadH - outHeight + 1), lastRow = Math.Min(kh - 1, y + g.PadH);
                for (int i = firstRow; i <= lastRow; i++)
                {
                    float* d = staged + (long)(y + g.PadH - i) * Lanes;
                    float* w = weight + ((long)ci * kh + i) * kw, v = pair ? w + taps : w;
                    for (int co = 0; co < cout; co++, d += coStride, w += weightCoStride, v += weightCoStride)
                    {
                        var dv = Vector512.Load(d);
                        a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[0]), dv, a0);
                        b0 = Avx512F.FusedMultiplyAdd(Vector512.Create(v[0]), dv, b0);
                        if (kw > 1) { a1 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[1]), dv, a1); b1 = Avx512F.FusedMultiplyAdd(Vector512.Create(v[1]), dv, b1); }
                        if (kw > 2) { a2 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[2]), dv, a2); b2 = Avx512F.FusedMultiplyAdd(Vector512.Create(v[2]), dv, b2); }
                        if (kw > 3) { a3 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[3]), dv, a3); b3 = Avx512F.FusedMultiplyAdd(Vector512.Create(v[3]), dv, b3); }
                        if (kw > 4) { a4 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[4]), dv, a4); b4 = Avx512F.FusedMultiplyAdd(Vector512.Create(v[4]), dv, b4); }
                        if (kw > 5) { a5 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[5]), dv, a5); b5 = Avx512F.FusedMultiplyAdd(Vector512.Create(v[5]), dv, b5); }
                        if (kw > 6) { a6 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[6]), dv, a6); b6 = Avx512F.FusedMultiplyAdd(Vector512.Create(v[6]), dv, b6); }
                        if (kw > 7) { a7 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[7]), dv, a7); b7 = Avx512F.FusedMultiplyAdd(Vector512.Create(v[7]), dv, b7); }
                    }
                }
                Avx512F.MaskStore(dx + ((long)ci * inHeight + y) * inWidth, rowMask, ShiftedSum(a0, a1, a2, a3, a4, a5, a6, a7));
                if (pair) Avx512F.MaskStore(dx + ((long)(ci + 1) * inHeight + y) * inWidth, rowMask, ShiftedSum(b0, b1, b2, b3, b4, b5, b6, b7));
            }
        }
    }

    /// <summary>Σ_j a_j moved up by j lanes (lane x gets a_j[x − j], zero below j).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ShiftedSum(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        Vector512<float> a4, Vector512<float> a5, Vector512<float> a6, Vector512<float> a7)
    {
        var zero = Vector512<int>.Zero;
        var sum = Avx512F.Add(a0, Avx512F.AlignRight32(a1.AsInt32(), zero, 15).AsSingle());
        sum = Avx512F.Add(sum, Avx512F.AlignRight32(a2.AsInt32(), zero, 14).AsSingle());
        sum = Avx512F.Add(sum, Avx512F.AlignRight32(a3.AsInt32(), zero, 13).AsSingle());
        sum = Avx512F.Add(sum, Avx512F.AlignRight32(a4.AsInt32(), zero, 12).AsSingle());
        sum = Avx512F.Add(sum, Avx512F.AlignRight32(a5.AsInt32(), zero, 11).AsSingle());
        sum = Avx512F.Add(sum, Avx512F.AlignRight32(a6.AsInt32(), zero, 10).AsSingle());
        return Avx512F.Add(sum, Avx512F.AlignRight32(a7.AsInt32(), zero, 9).AsSingle());
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputGradientSample(in Conv2dGeometry g, int n, float* gradOutput, float* packed, float* gradInput)
    {
        int kh = g.KernelHeight, kw = g.KernelWidth, outHeight = g.OutHeight, outWidth = g.OutWidth;
        int inHeight = g.InHeight, inWidth = g.InWidth, cin = g.InChannels;
        // dypad[co, r, c] = dy[co, r − (kh − 1), c − (kw − 1)], zero elsewhere; x = 0 … 15 of input row y read
        // dypad[co, y + padH + kh − 1 − i, x + padW + kw − 1 − j].
        int padRows = outHeight + 2 * (kh - 1), padWidth = Math.Max(outWidth + 2 * (kw - 1), g.PadW + kw - 1 + Lanes);
        int padRowsNeeded = Math.Max(padRows, inHeight + g.PadH + kh);
        long plane = (long)padRowsNeeded * padWidth;
        float* dyPad = ScratchBuffers.Get<float>(ScratchSlot.ChannelLast, plane * g.OutChannels);
        new Span<float>(dyPad, checked((int)(plane * g.OutChannels))).Clear();
        float* dy = gradOutput + (long)n * g.OutChannels * outHeight * outWidth;
        for (int co = 0; co < g.OutChannels; co++)
            for (int r = 0; r < outHeight; r++)
                new ReadOnlySpan<float>(dy + ((long)co * outHeight + r) * outWidth, outWidth)
                    .CopyTo(new Span<float>(dyPad + co * plane + (long)(r + kh - 1) * padWidth + kw - 1, outWidth));
        float* dx = gradInput + (long)n * cin * inHeight * inWidth;
        float* row = stackalloc float[Lanes];
        var acc = stackalloc Vector512<float>[16];
        for (int y = 0; y < inHeight; y += 2)
        {
            bool pair = y + 1 < inHeight;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
            // Kernel rows i reach dy row y + padH − i (and one more for y + 1): rows outside dy read only zeros, skipped.
            int firstRow = Math.Max(0, y + g.PadH - outHeight + 1), lastRow = Math.Min(kh - 1, y + g.PadH + (pair ? 1 : 0));
            for (int co = 0; co < g.OutChannels; co++)
            {
                float* w = packed + ((long)co * kh + firstRow) * kw * 8;
                for (int i = firstRow; i <= lastRow; i++)
                {
                    // Input rows y and y + 1 read padded dy rows r and r + 1 (a lone last row reads r + 1 from the zero border's extra rows).
                    float* top = dyPad + co * plane + (long)(y + g.PadH + kh - 1 - i) * padWidth + g.PadW + kw - 1;
                    float* bottom = top + padWidth;
                    for (int j = 0; j < kw; j++, w += 8)
                    {
                        var t = Vector512.Load(top - j);
                        var u = Vector512.Load(bottom - j);
                        var w0 = Vector512.Create(w[0]);
                        a0 = Avx512F.FusedMultiplyAdd(t, w0, a0); b0 = Avx512F.FusedMultiplyAdd(u, w0, b0);
                        if (cin > 1) { var wc = Vector512.Create(w[1]); a1 = Avx512F.FusedMultiplyAdd(t, wc, a1); b1 = Avx512F.FusedMultiplyAdd(u, wc, b1); }
                        if (cin > 2) { var wc = Vector512.Create(w[2]); a2 = Avx512F.FusedMultiplyAdd(t, wc, a2); b2 = Avx512F.FusedMultiplyAdd(u, wc, b2); }
                        if (cin > 3) { var wc = Vector512.Create(w[3]); a3 = Avx512F.FusedMultiplyAdd(t, wc, a3); b3 = Avx512F.FusedMultiplyAdd(u, wc, b3); }
                        if (cin > 4) { var wc = Vector512.Create(w[4]); a4 = Avx512F.FusedMultiplyAdd(t, wc, a4); b4 = Avx512F.FusedMultiplyAdd(u, wc, b4); }
                        if (cin > 5) { var wc = Vector512.Create(w[5]); a5 = Avx512F.FusedMultiplyAdd(t, wc, a5); b5 = Avx512F.FusedMultiplyAdd(u, wc, b5); }
                        if (cin > 6) { var wc = Vector512.Create(w[6]); a6 = Avx512F.FusedMultiplyAdd(t, wc, a6); b6 = Avx512F.FusedMultiplyAdd(u, wc, b6); }
                        if (cin > 7) { var wc = Vector512.Create(w[7]); a7 = Avx512F.FusedMultiplyAdd(t, wc, a7); b7 = Avx512F.FusedMultiplyAdd(u, wc, b7); }
                    }
                }
            }
            acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3; acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
            acc[8] = b0; acc[9] = b1; acc[10] = b2; acc[11] = b3; acc[12] = b4; acc[13] = b5; acc[14] = b6; acc[15] = b7;
            for (int r = 0; r < (pair ? 2 : 1); r++)
                for (int ci = 0; ci < cin; ci++)
                {
                    acc[r * 8 + ci].Store(row);
                    new ReadOnlySpan<float>(row, inWidth).CopyTo(new Span<float>(dx + ((long)ci * inHeight + y + r) * inWidth, inWidth));
                }
        }
    }

    /// <summary>output[N, Cout, Hout, Wout] = conv2d(input, weight) + bias (bias may be null).</summary>
    public static void Forward(Conv2dGeometry g, float* input, float* weight, float* bias, float* output)
    {
        float* packed = PackWeights(g, weight);
        Convolution.ForEachTaskInFixedOrder(g.Batch, new Convolution.ForwardOperands(g, (nint)input, (nint)packed, (nint)bias, (nint)output),
            static (o, participant, n) => ForwardSample(o.G, n, (float*)o.Input, (float*)o.Packed, (float*)o.Bias, (float*)o.Output));
    }

    /// <summary>gradWeight[Cout, Cin, kh, kw] = Σ over samples of the correlation of each input plane with dy.</summary>
    public static void BackwardWeight(Conv2dGeometry g, float* input, float* gradOutput, float* gradWeight)
    {
        int taps = g.PatchSize;
        long size = (long)g.OutChannels * taps;
        float* partials = Convolution.SumOverSamples(g.Batch, size, (n, partial) => WeightGradientSample(g, n, input, gradOutput, partial), out int parts);
        // partials[part][block][tap][16] → gradWeight[block·16 + c][tap]
        for (int co = 0; co < g.OutChannels; co++)
            for (int tap = 0; tap < taps; tap++)
            {
                long at = ((long)(co / Lanes) * taps + tap) * Lanes + co % Lanes;
                float sum = 0;
                for (int part = 0; part < parts; part++) sum += partials[part * size + at];
                gradWeight[(long)co * taps + tap] = sum;
            }
    }

    /// <summary>Weights as [channel block][tap][16], in the caller's filter slot.</summary>
    private static float* PackWeights(in Conv2dGeometry g, float* weight)
    {
        int taps = g.PatchSize;
        float* packed = ScratchBuffers.Get<float>(ScratchSlot.Filter, (long)g.OutChannels * taps);
        for (int co = 0; co < g.OutChannels; co++)
            for (int tap = 0; tap < taps; tap++)
                packed[((long)(co / Lanes) * taps + tap) * Lanes + co % Lanes] = weight[(long)co * taps + tap];
        return packed;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardSample(in Conv2dGeometry g, int n, float* input, float* packed, float* bias, float* output)
    {
        float* x = SmallInputConvolution.PaddedInput(g, input, n);
        int outHeight = g.OutHeight, outWidth = g.OutWidth, kh = g.KernelHeight, kw = g.KernelWidth, taps = g.PatchSize;
        int width = g.InWidth + 2 * g.PadW, plane = (g.InHeight + 2 * g.PadH) * width;
        long outPlane = (long)outHeight * outWidth;
        float* tile = stackalloc float[Pixels * Lanes];
        for (int cb = 0; cb < g.OutChannels / Lanes; cb++)
        {
            var b = bias != null ? Vector512.Load(bias + cb * Lanes) : Vector512<float>.Zero;
            float* w0 = packed + (long)cb * taps * Lanes;
            float* y = output + ((long)n * g.OutChannels + cb * Lanes) * outPlane;
            for (int oh = 0; oh < outHeight; oh++)
                for (int ow = 0; ow < outWidth; ow += Pixels)
                {
                    // Up to 12 neighbouring pixels; a row's last chunk computes only the pixels that are left.
                    int count = Math.Min(Pixels, outWidth - ow);
                    Vector512<float> a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b, a8 = b, a9 = b, a10 = b, a11 = b;
                    float* w = w0;
                    for (int ci = 0; ci < g.InChannels; ci++)
                        for (int i = 0; i < kh; i++)
                        {
                            float* row = x + (long)ci * plane + (long)(oh + i) * width + ow;
                            for (int j = 0; j < kw; j++, w += Lanes)
                            {
                                var wv = Vector512.Load(w);
                                float* r = row + j;
                                a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[0]), wv, a0);
                                if (count > 1) a1 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[1]), wv, a1);
                                if (count > 2) a2 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[2]), wv, a2);
                                if (count > 3) a3 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[3]), wv, a3);
                                if (count > 4) a4 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[4]), wv, a4);
                                if (count > 5) a5 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[5]), wv, a5);
                                if (count > 6) a6 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[6]), wv, a6);
                                if (count > 7) a7 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[7]), wv, a7);
                                if (count > 8) a8 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[8]), wv, a8);
                                if (count > 9) a9 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[9]), wv, a9);
                                if (count > 10) a10 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[10]), wv, a10);
                                if (count > 11) a11 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[11]), wv, a11);
                            }
                        }
                    a0.Store(tile);
                    a1.Store(tile + Lanes);
                    a2.Store(tile + 2 * Lanes);
                    a3.Store(tile + 3 * Lanes);
                    a4.Store(tile + 4 * Lanes);
                    a5.Store(tile + 5 * Lanes);
                    a6.Store(tile + 6 * Lanes);
                    a7.Store(tile + 7 * Lanes);
                    a8.Store(tile + 8 * Lanes);
                    a9.Store(tile + 9 * Lanes);
                    a10.Store(tile + 10 * Lanes);
                    a11.Store(tile + 11 * Lanes);
                    float* at = y + (long)oh * outWidth + ow;
                    for (int c = 0; c < Lanes; c++, at += outPlane)
                        for (int p = 0; p < count; p++) at[p] = tile[p * Lanes + c];
                }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientSample(in Conv2dGeometry g, int n, float* input, float* gradOutput, float* partial)
    {
        float* x = SmallInputConvolution.PaddedInput(g, input, n);
        int outHeight = g.OutHeight, outWidth = g.OutWidth, kh = g.KernelHeight, kw = g.KernelWidth, taps = g.PatchSize;
        int width = g.InWidth + 2 * g.PadW, plane = (g.InHeight + 2 * g.PadH) * width, pixels = outHeight * outWidth;
        // dyᵀ[pixel][16] for each channel block, in this thread's staging slot.
        float* dyT = ScratchBuffers.Get<float>(ScratchSlot.Staging, (long)pixels * g.OutChannels);
        float* dy = gradOutput + (long)n * g.OutChannels * pixels;
        for (int co = 0; co < g.OutChannels; co++)
        {
            float* d = dyT + (long)(co / Lanes) * pixels * Lanes + co % Lanes;
            for (int p = 0; p < pixels; p++) d[(long)p * Lanes] = dy[(long)co * pixels + p];
        }
        var acc = stackalloc Vector512<float>[16];
        for (int cb = 0; cb < g.OutChannels / Lanes; cb++)
        {
            float* d0 = dyT + (long)cb * pixels * Lanes;
            float* dw0 = partial + (long)cb * taps * Lanes;
            // Kernel rows q = ci·kh + i in pairs (q, q + 1), across input channels, so only an odd total leaves a lone row.
            int rows = g.InChannels * kh;
            for (int q = 0; q < rows; q += 2)
            {
                bool pair = q + 1 < rows;
                float* first = x + (long)(q / kh) * plane + (long)(q % kh) * width;
                float* second = pair ? x + (long)((q + 1) / kh) * plane + (long)((q + 1) % kh) * width : first;
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
                for (int oh = 0; oh < outHeight; oh++)
                {
                    // A lone last kernel row computes its pair's sums into c… too, and drops them.
                    float* row = first + (long)oh * width, next = second + (long)oh * width;
                    float* d = d0 + (long)oh * outWidth * Lanes;
                    for (int ow = 0; ow < outWidth; ow++, d += Lanes)
                    {
                        var dv = Vector512.Load(d);
                        float* r = row + ow, s = next + ow;
                        // kw ≤ 8: taps past the kernel's width read padding or the next pixels (inside the padded plane) and are dropped below.
                        a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[0]), dv, a0);
                        c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(s[0]), dv, c0);
                        if (kw > 1) { a1 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[1]), dv, a1); c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(s[1]), dv, c1); }
                        if (kw > 2) { a2 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[2]), dv, a2); c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(s[2]), dv, c2); }
                        if (kw > 3) { a3 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[3]), dv, a3); c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(s[3]), dv, c3); }
                        if (kw > 4) { a4 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[4]), dv, a4); c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(s[4]), dv, c4); }
                        if (kw > 5) { a5 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[5]), dv, a5); c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(s[5]), dv, c5); }
                        if (kw > 6) { a6 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[6]), dv, a6); c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(s[6]), dv, c6); }
                        if (kw > 7) { a7 = Avx512F.FusedMultiplyAdd(Vector512.Create(r[7]), dv, a7); c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(s[7]), dv, c7); }
                    }
                }
                acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3; acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
                acc[8] = c0; acc[9] = c1; acc[10] = c2; acc[11] = c3; acc[12] = c4; acc[13] = c5; acc[14] = c6; acc[15] = c7;
                for (int r = 0; r < (pair ? 2 : 1); r++)
                    for (int j = 0; j < kw; j++)
                    {
                        float* dw = dw0 + ((long)(q + r) * kw + j) * Lanes;
                        (Vector512.Load(dw) + acc[r * 8 + j]).Store(dw);
                    }
            }
        }
    }
}
