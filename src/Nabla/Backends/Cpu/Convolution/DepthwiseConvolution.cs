using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Direct kernels for convolutions where every output channel reads a single input channel
/// (groups = InChannels, e.g. depthwise 3×3; output channel co reads input channel co / (Cout/Cin)).
/// The im2col path would hand the GEMM one-row products (m = 1), wasting most of its tile; here each
/// kernel tap is one multiply-add sweep along an output row:
/// y[oh, ow] += w[i, j] · x[oh·s − p + i·d, ow·s − p + j·d] over the columns where the input exists.
/// </summary>
internal static unsafe class DepthwiseConvolution
{
    /// <summary>Whether every output channel reads exactly one input channel.</summary>
    public static bool Applies(in Conv2dGeometry g) => g.InChannelsPerGroup == 1 && g.Groups > 1;

    /// <summary>output = conv2d(input, weight) + bias, parallel over output planes.</summary>
    public static void Forward<T>(Conv2dGeometry g, T* input, T* weight, T* bias, T* output) where T : unmanaged, INumber<T>
    {
        int planes = g.Batch * g.OutChannels;
        WorkerPool.For(planes, 4, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            long inPlane = (long)g.InHeight * g.InWidth, outPlane = (long)g.OutHeight * g.OutWidth;
            int multiplier = g.OutChannelsPerGroup;
            for (int plane = start; plane < end; plane++)
            {
                int n = plane / g.OutChannels, co = plane % g.OutChannels;
                T* y = output + plane * outPlane;
                new Span<T>(y, checked((int)outPlane)).Fill(bias != null ? bias[co] : T.Zero);
                T* x = input + ((long)n * g.InChannels + co / multiplier) * inPlane;
                T* w = weight + (long)co * g.KernelHeight * g.KernelWidth;
                for (int i = 0; i < g.KernelHeight; i++)
                    for (int j = 0; j < g.KernelWidth; j++)
                    {
                        T tap = w[i * g.KernelWidth + j];
                        int offsetW = j * g.DilationW - g.PadW;
                        Im2Col.ValidRange(offsetW, g.StrideW, g.InWidth, g.OutWidth, out int lo, out int hi);
                        for (int oh = 0; oh < g.OutHeight; oh++)
                        {
                            int ih = oh * g.StrideH - g.PadH + i * g.DilationH;
                            if ((uint)ih >= (uint)g.InHeight) continue;
                            T* source = x + (long)ih * g.InWidth + offsetW; // source[ow·s] = x[ih, iw]
                            T* target = y + (long)oh * g.OutWidth;
                            if (g.StrideW == 1) AddScaled(source + lo, target + lo, hi - lo, tap);
                            else for (int ow = lo; ow < hi; ow++) target[ow] += tap * source[(long)ow * g.StrideW];
                        }
                    }
            }
        });
    }

    /// <summary>gradInput (overwritten): each input plane gathers the taps of the output channels that read it.</summary>
    public static void BackwardInput<T>(Conv2dGeometry g, T* gradOutput, T* weight, T* gradInput) where T : unmanaged, INumber<T>
    {
        int planes = g.Batch * g.InChannels;
        WorkerPool.For(planes, 4, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            long inPlane = (long)g.InHeight * g.InWidth, outPlane = (long)g.OutHeight * g.OutWidth;
            int multiplier = g.OutChannelsPerGroup;
            for (int plane = start; plane < end; plane++)
            {
                int n = plane / g.InChannels, c = plane % g.InChannels;
                T* dx = gradInput + plane * inPlane;
                new Span<T>(dx, checked((int)inPlane)).Clear();
                for (int co = c * multiplier; co < (c + 1) * multiplier; co++)
                {
                    T* dy = gradOutput + ((long)n * g.OutChannels + co) * outPlane;
                    T* w = weight + (long)co * g.KernelHeight * g.KernelWidth;
                    for (int i = 0; i < g.KernelHeight; i++)
                        for (int j = 0; j < g.KernelWidth; j++)
                        {
                            T tap = w[i * g.KernelWidth + j];
                            int offsetW = j * g.DilationW - g.PadW;
                            Im2Col.ValidRange(offsetW, g.StrideW, g.InWidth, g.OutWidth, out int lo, out int hi);
                            for (int oh = 0; oh < g.OutHeight; oh++)
                            {
                                int ih = oh * g.StrideH - g.PadH + i * g.DilationH;
                                if ((uint)ih >= (uint)g.InHeight) continue;
                                T* target = dx + (long)ih * g.InWidth + offsetW;
                                T* source = dy + (long)oh * g.OutWidth;
                                if (g.StrideW == 1) AddScaled(source + lo, target + lo, hi - lo, tap);
                                else for (int ow = lo; ow < hi; ow++) target[(long)ow * g.StrideW] += tap * source[ow];
                            }
                        }
                }
            }
        });
    }

    /// <summary>gradWeight (overwritten), parallel over output channels: dw[co, i, j] = Σ_n Σ_oh ⟨dy row, shifted x row⟩.</summary>
    public static void BackwardWeight<T>(Conv2dGeometry g, T* input, T* gradOutput, T* gradWeight) where T : unmanaged, INumber<T>
    {
        WorkerPool.For(g.OutChannels, 1, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            long inPlane = (long)g.InHeight * g.InWidth, outPlane = (long)g.OutHeight * g.OutWidth;
            int multiplier = g.OutChannelsPerGroup;
            for (int co = start; co < end; co++)
            {
                T* dw = gradWeight + (long)co * g.KernelHeight * g.KernelWidth;
                for (int i = 0; i < g.KernelHeight; i++)
                    for (int j = 0; j < g.KernelWidth; j++)
                    {
                        int offsetW = j * g.DilationW - g.PadW;
                        Im2Col.ValidRange(offsetW, g.StrideW, g.InWidth, g.OutWidth, out int lo, out int hi);
                        T sum = T.Zero;
                        for (int n = 0; n < g.Batch; n++)
                        {
                            T* x = input + ((long)n * g.InChannels + co / multiplier) * inPlane;
                            T* dy = gradOutput + ((long)n * g.OutChannels + co) * outPlane;
                            for (int oh = 0; oh < g.OutHeight; oh++)
                            {
                                int ih = oh * g.StrideH - g.PadH + i * g.DilationH;
                                if ((uint)ih >= (uint)g.InHeight) continue;
                                T* source = x + (long)ih * g.InWidth + offsetW;
                                T* rowGrad = dy + (long)oh * g.OutWidth;
                                if (g.StrideW == 1) sum += Dot(source + lo, rowGrad + lo, hi - lo);
                                else for (int ow = lo; ow < hi; ow++) sum += source[(long)ow * g.StrideW] * rowGrad[ow];
                            }
                        }
                        dw[i * g.KernelWidth + j] = sum;
                    }
            }
        });
    }

    /// <summary>dst[0..length) += scale · src[0..length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled<T>(T* src, T* dst, int length, T scale) where T : unmanaged, INumber<T>
    {
        int width = Vector256<T>.Count, at = 0;
        var factor = Vector256.Create(scale);
        for (; at + width <= length; at += width) (Vector256.Load(dst + at) + factor * Vector256.Load(src + at)).Store(dst + at);
        for (; at < length; at++) dst[at] += scale * src[at];
    }

    /// <summary>Σ a[k]·b[k] over [0, length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Dot<T>(T* a, T* b, int length) where T : unmanaged, INumber<T>
    {
        int width = Vector256<T>.Count, at = 0;
        Vector256<T> sum = Vector256<T>.Zero;
        for (; at + width <= length; at += width) sum += Vector256.Load(a + at) * Vector256.Load(b + at);
        T total = Vector256.Sum(sum);
        for (; at < length; at++) total += a[at] * b[at];
        return total;
    }
}
