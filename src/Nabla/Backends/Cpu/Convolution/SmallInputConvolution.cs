using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Direct float32 convolution for layers with few input channels and a small kernel, stride 1 and
/// no dilation — LeNet's first layer (1 → 6 channels, 5×5, padding 2) is the case in point. There
/// im2col writes PatchSize = Cin·kh·kw copies of every pixel to feed a GEMM whose M (the output
/// channels) and K (the patch) are both tiny, so the copy costs more than the arithmetic. Here each
/// sample is copied once into a zero-bordered plane and every output row is computed from it with
/// 8-wide vectors: per kernel tap one load and one FMA for each of up to eight output channels.
/// <list type="bullet">
/// <item>forward: y[co, oh, ow..ow+7] = b[co] + Σ_tap w[co, tap] · xpad[ci, oh+i, ow+j..];</item>
/// <item>weight gradient: dW[co, tap] = Σ_n Σ_{oh, ow} dy[n, co, oh, ow] · xpad[n, ci, oh+i, ow+j],
/// per-participant partial sums over samples taken in a fixed order, then added (bit-identical runs).</item>
/// </list>
/// The input gradient keeps the im2col path: a first layer's input needs none.
/// </summary>
internal static unsafe class SmallInputConvolution
{
    /// <summary>Largest Cin·kh·kw handled here; beyond it im2col + GEMM has enough K to be efficient.</summary>
    private const int MaxPatch = 32;

    /// <summary>Output channels computed together (the accumulators a0…a7).</summary>
    private const int Block = 8;

    private static int Lanes => Vector256<float>.Count;

    /// <summary>Whether <paramref name="g"/> is a float32 layer this direct path handles.</summary>
    public static bool Applies<T>(in Conv2dGeometry g) where T : unmanaged =>
        typeof(T) == typeof(float) && Fma.IsSupported && Vector256.IsHardwareAccelerated &&
        g.Groups == 1 && g.InChannels <= 4 && g.PatchSize <= MaxPatch &&
        g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1 &&
        g.OutWidth >= Lanes && (long)PaddedPlane(g) * g.InChannels <= 1 << 20;

    private static int PaddedWidth(in Conv2dGeometry g) => g.InWidth + 2 * g.PadW;

    private static int PaddedPlane(in Conv2dGeometry g) => (g.InHeight + 2 * g.PadH) * PaddedWidth(g);

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
        long size = (long)g.OutChannels * g.PatchSize;
        bool wide = CpuFeatures.Active >= CpuIsa.Avx512 && Avx512F.IsSupported && g.OutWidth >= 16 && g.KernelWidth <= 5;
        float* partials = Convolution.SumOverSamples(g.Batch, size, (n, partial) =>
        {
            if (wide) WeightGradientSampleWide(g, n, input, gradOutput, partial);
            else WeightGradientSample(g, n, input, gradOutput, partial);
        }, out int parts);
        for (long i = 0; i < size; i++)
        {
            float sum = 0;
            for (int part = 0; part < parts; part++) sum += partials[part * size + i];
            gradWeight[i] = sum;
        }
    }

    /// <summary>Weights regrouped as [channel block][tap][8], zero for channels past Cout, in the caller's filter slot.</summary>
    private static float* PackWeights(in Conv2dGeometry g, float* weight)
    {
        int taps = g.PatchSize, blocks = (g.OutChannels + Block - 1) / Block;
        float* packed = ScratchBuffers.Get<float>(ScratchSlot.Filter, (long)blocks * taps * Block);
        for (int cb = 0; cb < blocks; cb++)
            for (int tap = 0; tap < taps; tap++)
                for (int j = 0; j < Block; j++)
                {
                    int co = cb * Block + j;
                    packed[((long)cb * taps + tap) * Block + j] = co < g.OutChannels ? weight[(long)co * taps + tap] : 0f;
                }
        return packed;
    }

    /// <summary>Sample n's input planes with a zero border of the padding's width, in this thread's channel-last slot.</summary>
    internal static float* PaddedInput(in Conv2dGeometry g, float* input, int n)
    {
        int plane = PaddedPlane(g), width = PaddedWidth(g);
        float* padded = ScratchBuffers.Get<float>(ScratchSlot.ChannelLast, (long)plane * g.InChannels);
        new Span<float>(padded, plane * g.InChannels).Clear();
        for (int ci = 0; ci < g.InChannels; ci++)
        {
            float* x = input + ((long)n * g.InChannels + ci) * g.InHeight * g.InWidth;
            float* p = padded + (long)ci * plane + (long)g.PadH * width + g.PadW;
            for (int h = 0; h < g.InHeight; h++)
                new ReadOnlySpan<float>(x + (long)h * g.InWidth, g.InWidth).CopyTo(new Span<float>(p + (long)h * width, g.InWidth));
        }
        return padded;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardSample(in Conv2dGeometry g, int n, float* input, float* packed, float* bias, float* output)
    {
        float* x = PaddedInput(g, input, n);
        int outHeight = g.OutHeight, outWidth = g.OutWidth, kh = g.KernelHeight, kw = g.KernelWidth, taps = g.PatchSize;
        int width = PaddedWidth(g), plane = PaddedPlane(g), lanes = Lanes;
        long outPlane = (long)outHeight * outWidth;
        var b = stackalloc float[Block];
        for (int co0 = 0; co0 < g.OutChannels; co0 += Block)
        {
            int count = Math.Min(Block, g.OutChannels - co0);
            float* w = packed + (long)(co0 / Block) * taps * Block;
            for (int j = 0; j < Block; j++) b[j] = bias != null && j < count ? bias[co0 + j] : 0f;
            float* y = output + ((long)n * g.OutChannels + co0) * outPlane;
            for (int oh = 0; oh < outHeight; oh++)
                for (int ow0 = 0; ow0 < outWidth; ow0 += lanes)
                {
                    // The last chunk is moved back to end at the row's end (it recomputes a few columns: a plain store, so harmless).
                    int ow = Math.Min(ow0, outWidth - lanes);
                    Vector256<float> a0 = Vector256.Create(b[0]), a1 = Vector256.Create(b[1]), a2 = Vector256.Create(b[2]), a3 = Vector256.Create(b[3]);
                    Vector256<float> a4 = Vector256.Create(b[4]), a5 = Vector256.Create(b[5]), a6 = Vector256.Create(b[6]), a7 = Vector256.Create(b[7]);
                    float* wt = w;
                    for (int ci = 0; ci < g.InChannels; ci++)
                        for (int i = 0; i < kh; i++)
                        {
                            float* row = x + (long)ci * plane + (long)(oh + i) * width + ow;
                            for (int j = 0; j < kw; j++, wt += Block)
                            {
                                var v = Vector256.Load(row + j);
                                a0 = Fma.MultiplyAdd(v, Vector256.Create(wt[0]), a0);
                                a1 = Fma.MultiplyAdd(v, Vector256.Create(wt[1]), a1);
                                a2 = Fma.MultiplyAdd(v, Vector256.Create(wt[2]), a2);
                                a3 = Fma.MultiplyAdd(v, Vector256.Create(wt[3]), a3);
                                a4 = Fma.MultiplyAdd(v, Vector256.Create(wt[4]), a4);
                                a5 = Fma.MultiplyAdd(v, Vector256.Create(wt[5]), a5);
                                a6 = Fma.MultiplyAdd(v, Vector256.Create(wt[6]), a6);
                                a7 = Fma.MultiplyAdd(v, Vector256.Create(wt[7]), a7);
                            }
                        }
                    float* at = y + (long)oh * outWidth + ow;
                    a0.Store(at);
                    if (count > 1) a1.Store(at + outPlane);
                    if (count > 2) a2.Store(at + 2 * outPlane);
                    if (count > 3) a3.Store(at + 3 * outPlane);
                    if (count > 4) a4.Store(at + 4 * outPlane);
                    if (count > 5) a5.Store(at + 5 * outPlane);
                    if (count > 6) a6.Store(at + 6 * outPlane);
                    if (count > 7) a7.Store(at + 7 * outPlane);
                }
        }
    }

    /// <summary>
    /// The weight gradient of one sample on AVX-512 with 16 output pixels per vector: for four output
    /// channels and one kernel row at a time, the dy rows are loaded once and each of the row's ≤ 5
    /// shifted input vectors feeds four FMAs (20 accumulators), instead of eight dy loads per tap.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientSampleWide(in Conv2dGeometry g, int n, float* input, float* gradOutput, float* partial)
    {
        float* x = PaddedInput(g, input, n);
        int outHeight = g.OutHeight, outWidth = g.OutWidth, kh = g.KernelHeight, kw = g.KernelWidth, taps = g.PatchSize;
        int width = PaddedWidth(g), plane = PaddedPlane(g);
        long outPlane = (long)outHeight * outWidth;
        int tail = outWidth % 16;
        var tailMask = Vector512.GreaterThanOrEqual(Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create((float)(16 - tail)));
        var sums = stackalloc Vector512<float>[20];
        for (int co0 = 0; co0 < g.OutChannels; co0 += 4)
        {
            int count = Math.Min(4, g.OutChannels - co0);
            // Channels past Cout read channel co0 again (valid memory); their sums are dropped.
            float* dy0 = gradOutput + ((long)n * g.OutChannels + co0) * outPlane;
            float* dy1 = dy0 + (count > 1 ? outPlane : 0), dy2 = dy0 + (count > 2 ? 2 * outPlane : 0), dy3 = dy0 + (count > 3 ? 3 * outPlane : 0);
            for (int ci = 0; ci < g.InChannels; ci++)
                for (int i = 0; i < kh; i++)
                {
                    Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
                    Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
                    Vector512<float> a40 = default, a41 = default, a42 = default, a43 = default;
                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        float* row = x + (long)ci * plane + (long)(oh + i) * width;
                        long at = (long)oh * outWidth;
                        for (int ow0 = 0; ow0 < outWidth; ow0 += 16)
                        {
                            int ow = ow0;
                            var mask = Vector512<float>.AllBitsSet;
                            if (ow0 + 16 > outWidth)
                            {
                                ow = outWidth - 16; // the lanes the previous chunk summed are masked off
                                mask = tailMask;
                            }
                            var d0 = Vector512.Load(dy0 + at + ow) & mask;
                            var d1 = Vector512.Load(dy1 + at + ow) & mask;
                            var d2 = Vector512.Load(dy2 + at + ow) & mask;
                            var d3 = Vector512.Load(dy3 + at + ow) & mask;
                            float* r = row + ow;
                            var v = Vector512.Load(r);
                            a00 = Avx512F.FusedMultiplyAdd(v, d0, a00); a01 = Avx512F.FusedMultiplyAdd(v, d1, a01); a02 = Avx512F.FusedMultiplyAdd(v, d2, a02); a03 = Avx512F.FusedMultiplyAdd(v, d3, a03);
                            if (kw > 1)
                            {
                                v = Vector512.Load(r + 1);
                                a10 = Avx512F.FusedMultiplyAdd(v, d0, a10); a11 = Avx512F.FusedMultiplyAdd(v, d1, a11); a12 = Avx512F.FusedMultiplyAdd(v, d2, a12); a13 = Avx512F.FusedMultiplyAdd(v, d3, a13);
                            }
                            if (kw > 2)
                            {
                                v = Vector512.Load(r + 2);
                                a20 = Avx512F.FusedMultiplyAdd(v, d0, a20); a21 = Avx512F.FusedMultiplyAdd(v, d1, a21); a22 = Avx512F.FusedMultiplyAdd(v, d2, a22); a23 = Avx512F.FusedMultiplyAdd(v, d3, a23);
                            }
                            if (kw > 3)
                            {
                                v = Vector512.Load(r + 3);
                                a30 = Avx512F.FusedMultiplyAdd(v, d0, a30); a31 = Avx512F.FusedMultiplyAdd(v, d1, a31); a32 = Avx512F.FusedMultiplyAdd(v, d2, a32); a33 = Avx512F.FusedMultiplyAdd(v, d3, a33);
                            }
                            if (kw > 4)
                            {
                                v = Vector512.Load(r + 4);
                                a40 = Avx512F.FusedMultiplyAdd(v, d0, a40); a41 = Avx512F.FusedMultiplyAdd(v, d1, a41); a42 = Avx512F.FusedMultiplyAdd(v, d2, a42); a43 = Avx512F.FusedMultiplyAdd(v, d3, a43);
                            }
                        }
                    }
                    sums[0] = a00; sums[1] = a01; sums[2] = a02; sums[3] = a03; sums[4] = a10; sums[5] = a11; sums[6] = a12; sums[7] = a13;
                    sums[8] = a20; sums[9] = a21; sums[10] = a22; sums[11] = a23; sums[12] = a30; sums[13] = a31; sums[14] = a32; sums[15] = a33;
                    sums[16] = a40; sums[17] = a41; sums[18] = a42; sums[19] = a43;
                    for (int j = 0; j < kw; j++)
                        for (int c = 0; c < count; c++)
                            partial[(long)(co0 + c) * taps + (ci * kh + i) * kw + j] += Vector512.Sum(sums[j * 4 + c]);
                }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientSample(in Conv2dGeometry g, int n, float* input, float* gradOutput, float* partial)
    {
        float* x = PaddedInput(g, input, n);
        int outHeight = g.OutHeight, outWidth = g.OutWidth, kh = g.KernelHeight, kw = g.KernelWidth, taps = g.PatchSize;
        int width = PaddedWidth(g), plane = PaddedPlane(g), lanes = Lanes;
        long outPlane = (long)outHeight * outWidth;
        // The last chunk starts at outWidth − lanes; its lanes that the previous chunk already summed are masked off.
        int tail = outWidth % lanes;
        var tailMask = Vector256.GreaterThanOrEqual(Vector256.Create(0f, 1, 2, 3, 4, 5, 6, 7), Vector256.Create((float)(lanes - tail)));
        var dy = stackalloc nint[Block];
        for (int co0 = 0; co0 < g.OutChannels; co0 += Block)
        {
            int count = Math.Min(Block, g.OutChannels - co0);
            // Channels past Cout read channel co0 again (valid memory); their sums are dropped.
            for (int j = 0; j < Block; j++) dy[j] = (nint)(gradOutput + ((long)n * g.OutChannels + co0 + (j < count ? j : 0)) * outPlane);
            for (int ci = 0, tap = 0; ci < g.InChannels; ci++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++, tap++)
                    {
                        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                        for (int oh = 0; oh < outHeight; oh++)
                        {
                            float* row = x + (long)ci * plane + (long)(oh + i) * width + j;
                            long at = (long)oh * outWidth;
                            for (int ow0 = 0; ow0 < outWidth; ow0 += lanes)
                            {
                                int ow = ow0;
                                var v = Vector256.Load(row + ow0);
                                if (ow0 + lanes > outWidth)
                                {
                                    ow = outWidth - lanes;
                                    v = Vector256.BitwiseAnd(Vector256.Load(row + ow), tailMask);
                                }
                                a0 = Fma.MultiplyAdd(v, Vector256.Load((float*)dy[0] + at + ow), a0);
                                a1 = Fma.MultiplyAdd(v, Vector256.Load((float*)dy[1] + at + ow), a1);
                                a2 = Fma.MultiplyAdd(v, Vector256.Load((float*)dy[2] + at + ow), a2);
                                a3 = Fma.MultiplyAdd(v, Vector256.Load((float*)dy[3] + at + ow), a3);
                                a4 = Fma.MultiplyAdd(v, Vector256.Load((float*)dy[4] + at + ow), a4);
                                a5 = Fma.MultiplyAdd(v, Vector256.Load((float*)dy[5] + at + ow), a5);
                                a6 = Fma.MultiplyAdd(v, Vector256.Load((float*)dy[6] + at + ow), a6);
                                a7 = Fma.MultiplyAdd(v, Vector256.Load((float*)dy[7] + at + ow), a7);
                            }
                        }
                        float* dw = partial + (long)co0 * taps + tap;
                        dw[0] += Vector256.Sum(a0);
                        if (count > 1) dw[taps] += Vector256.Sum(a1);
                        if (count > 2) dw[2 * taps] += Vector256.Sum(a2);
                        if (count > 3) dw[3 * taps] += Vector256.Sum(a3);
                        if (count > 4) dw[4 * taps] += Vector256.Sum(a4);
                        if (count > 5) dw[5 * taps] += Vector256.Sum(a5);
                        if (count > 6) dw[6 * taps] += Vector256.Sum(a6);
                        if (count > 7) dw[7 * taps] += Vector256.Sum(a7);
                    }
        }
    }
}
