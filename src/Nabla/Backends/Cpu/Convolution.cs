using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu;

/// <summary>
/// 2-D convolution kernels over contiguous NCHW data (float32 and float64), lowered onto
/// <see cref="Gemm"/>. Per sample n and group g, with W_g the [Cout/G, K] weight rows
/// (K = Cin/G·kh·kw) and col the im2col matrix [K, Hout·Wout]:
/// <list type="bullet">
/// <item>forward: y = W_g · col (+ bias);</item>
/// <item>input gradient: dcol = W_gᵀ · dy, then col2im adds dcol into dx;</item>
/// <item>weight gradient: dW_g += dy · colᵀ, summed over samples (per-thread partial sums, then reduced).</item>
/// </list>
/// The column matrix is built one band of output rows at a time (about <see cref="ColumnBudgetBytes"/>)
/// so it stays in L2 between im2col and the GEMM. A 1×1 convolution with stride 1 and no padding
/// needs no im2col: the input planes already are the column matrix. Work is split over
/// (sample, group) pairs through <see cref="WorkerPool"/>; the GEMM is called from inside the
/// parallel bodies. Kernels trust their inputs (checked at the public boundary above them).
/// </summary>
internal static unsafe class Convolution
{
    /// <summary>Target size of one thread's im2col band; half of the 1 MiB L2 leaves room for the weights and output.</summary>
    private const long ColumnBudgetBytes = 384 * 1024;

    /// <summary>output[N, Cout, Hout, Wout] = conv2d(input, weight) + bias (bias may be null).</summary>
    public static void Conv2dForward(in Conv2dGeometry g, float* input, float* weight, float* bias, float* output) => Forward(g, input, weight, bias, output);

    /// <inheritdoc cref="Conv2dForward(in Conv2dGeometry, float*, float*, float*, float*)"/>
    public static void Conv2dForward(in Conv2dGeometry g, double* input, double* weight, double* bias, double* output) => Forward(g, input, weight, bias, output);

    /// <summary>gradInput[N, Cin, H, W] = ∂L/∂input given gradOutput = ∂L/∂output (overwrites gradInput).</summary>
    public static void Conv2dBackwardInput(in Conv2dGeometry g, float* gradOutput, float* weight, float* gradInput) => BackwardInput(g, gradOutput, weight, gradInput);

    /// <inheritdoc cref="Conv2dBackwardInput(in Conv2dGeometry, float*, float*, float*)"/>
    public static void Conv2dBackwardInput(in Conv2dGeometry g, double* gradOutput, double* weight, double* gradInput) => BackwardInput(g, gradOutput, weight, gradInput);

    /// <summary>gradWeight = ∂L/∂weight and gradBias[Cout] = Σ_{n,h,w} gradOutput (if not null); both overwritten.</summary>
    public static void Conv2dBackwardWeight(in Conv2dGeometry g, float* input, float* gradOutput, float* gradWeight, float* gradBias) => BackwardWeight(g, input, gradOutput, gradWeight, gradBias);

    /// <inheritdoc cref="Conv2dBackwardWeight(in Conv2dGeometry, float*, float*, float*, float*)"/>
    public static void Conv2dBackwardWeight(in Conv2dGeometry g, double* input, double* gradOutput, double* gradWeight, double* gradBias) => BackwardWeight(g, input, gradOutput, gradWeight, gradBias);

    /// <summary>
    /// ConvTranspose2d forward. <paramref name="g"/> is the adjoint convolution from
    /// <see cref="Conv2dGeometry.ForTranspose"/>: input [N, g.OutChannels, g.OutHeight, g.OutWidth],
    /// weight [g.OutChannels, g.InChannels/G, kh, kw] (PyTorch's ConvTranspose2d layout),
    /// bias [g.InChannels] or null, output [N, g.InChannels, g.InHeight, g.InWidth].
    /// It is exactly <see cref="Conv2dBackwardInput(in Conv2dGeometry, float*, float*, float*)"/> plus the bias.
    /// Its gradients are the other two passes of the same geometry: ∂L/∂input =
    /// <see cref="Conv2dForward(in Conv2dGeometry, float*, float*, float*, float*)"/>(g, gradOutput, weight, null),
    /// ∂L/∂weight = <see cref="Conv2dBackwardWeight(in Conv2dGeometry, float*, float*, float*, float*)"/>(g, gradOutput, input, ·, null),
    /// ∂L/∂bias = <see cref="ChannelSum(float*, int, int, long, float*)"/>(gradOutput).
    /// </summary>
    public static void ConvTranspose2dForward(in Conv2dGeometry g, float* input, float* weight, float* bias, float* output) => TransposeForward(g, input, weight, bias, output);

    /// <inheritdoc cref="ConvTranspose2dForward(in Conv2dGeometry, float*, float*, float*, float*)"/>
    public static void ConvTranspose2dForward(in Conv2dGeometry g, double* input, double* weight, double* bias, double* output) => TransposeForward(g, input, weight, bias, output);

    /// <summary>sums[c] = Σ_{n, i} data[n, c, i] over data [batch, channels, planeSize] (the bias gradient).</summary>
    public static void ChannelSum(float* data, int batch, int channels, long planeSize, float* sums) => ChannelSumCore(data, batch, channels, planeSize, sums);

    /// <inheritdoc cref="ChannelSum(float*, int, int, long, float*)"/>
    public static void ChannelSum(double* data, int batch, int channels, long planeSize, double* sums) => ChannelSumCore(data, batch, channels, planeSize, sums);

    private static void Forward<T>(Conv2dGeometry g, T* input, T* weight, T* bias, T* output) where T : unmanaged, INumber<T>
    {
        AssertValid(g);
        int groups = g.Groups;
        WorkerPool.For(g.Batch * groups, 1, (start, end) =>
        {
            for (int task = start; task < end; task++)
                ForwardOne(g, task / groups, task % groups, input, weight, bias, output);
        });
    }

    private static void ForwardOne<T>(in Conv2dGeometry g, int n, int group, T* input, T* weight, T* bias, T* output) where T : unmanaged, INumber<T>
    {
        int coutG = g.OutChannelsPerGroup, k = g.PatchSize, outWidth = g.OutWidth;
        long outPlane = (long)g.OutHeight * outWidth, inPlane = (long)g.InHeight * g.InWidth;
        T* x = input + ((long)n * g.InChannels + (long)group * g.InChannelsPerGroup) * inPlane;
        T* w = weight + (long)group * coutG * k;
        T* y = output + ((long)n * g.OutChannels + (long)group * coutG) * outPlane;
        if (IsPointwise(g))
            MatMul(coutG, (int)outPlane, k, w, k, 1, x, inPlane, 1, y, outPlane, false);
        else
        {
            int band = BandRows(g, sizeof(T));
            T* col = ScratchBuffers.Work<T>((long)k * band * outWidth);
            for (int oh0 = 0; oh0 < g.OutHeight; oh0 += band)
            {
                int rows = Math.Min(band, g.OutHeight - oh0), cols = rows * outWidth;
                Im2Col.Gather(g, x, oh0, rows, col);
                MatMul(coutG, cols, k, w, k, 1, col, cols, 1, y + (long)oh0 * outWidth, outPlane, false);
            }
        }
        if (bias != null)
            for (int co = 0; co < coutG; co++)
            {
                var plane = new Span<T>(y + co * outPlane, (int)outPlane);
                TensorPrimitives.Add(plane, bias[group * coutG + co], plane);
            }
    }

    private static void BackwardInput<T>(Conv2dGeometry g, T* gradOutput, T* weight, T* gradInput) where T : unmanaged, INumber<T>
    {
        AssertValid(g);
        int groups = g.Groups;
        WorkerPool.For(g.Batch * groups, 1, (start, end) =>
        {
            for (int task = start; task < end; task++)
                BackwardInputOne(g, task / groups, task % groups, gradOutput, weight, gradInput);
        });
    }

    private static void BackwardInputOne<T>(in Conv2dGeometry g, int n, int group, T* gradOutput, T* weight, T* gradInput) where T : unmanaged, INumber<T>
    {
        int coutG = g.OutChannelsPerGroup, k = g.PatchSize, outWidth = g.OutWidth;
        long outPlane = (long)g.OutHeight * outWidth, inPlane = (long)g.InHeight * g.InWidth;
        T* dx = gradInput + ((long)n * g.InChannels + (long)group * g.InChannelsPerGroup) * inPlane;
        T* w = weight + (long)group * coutG * k;
        T* dy = gradOutput + ((long)n * g.OutChannels + (long)group * coutG) * outPlane;
        // A = W_gᵀ: A(i, p) = W_g[p, i], so row stride 1 and column stride K.
        if (IsPointwise(g))
        {
            MatMul(k, (int)outPlane, coutG, w, 1, k, dy, outPlane, 1, dx, inPlane, false);
            return;
        }
        new Span<T>(dx, checked((int)(g.InChannelsPerGroup * inPlane))).Clear();
        int band = BandRows(g, sizeof(T));
        T* col = ScratchBuffers.Work<T>((long)k * band * outWidth);
        for (int oh0 = 0; oh0 < g.OutHeight; oh0 += band)
        {
            int rows = Math.Min(band, g.OutHeight - oh0), cols = rows * outWidth;
            MatMul(k, cols, coutG, w, 1, k, dy + (long)oh0 * outWidth, outPlane, 1, col, cols, false);
            Im2Col.Scatter(g, col, oh0, rows, dx);
        }
    }

    private static void BackwardWeight<T>(Conv2dGeometry g, T* input, T* gradOutput, T* gradWeight, T* gradBias) where T : unmanaged, INumber<T>
    {
        AssertValid(g);
        // Each part sums dW over a contiguous range of samples into its own buffer (part 0 straight
        // into gradWeight); the parts are then added. Partial sums live in the caller's reduction slot.
        int parts = Math.Min(WorkerPool.ThreadCount, g.Batch);
        long size = g.WeightSize;
        T* partials = parts > 1 ? ScratchBuffers.Reduction<T>((parts - 1) * size) : null;
        WorkerPool.For(parts, 1, (start, end) =>
        {
            for (int part = start; part < end; part++)
            {
                T* target = part == 0 ? gradWeight : partials + (part - 1) * size;
                int n0 = (int)((long)part * g.Batch / parts), n1 = (int)((long)(part + 1) * g.Batch / parts);
                BackwardWeightRange(g, n0, n1, input, gradOutput, target);
            }
        });
        for (int part = 1; part < parts; part++)
        {
            T* source = partials + (part - 1) * size;
            for (long offset = 0; offset < size; offset += int.MaxValue / 2)
            {
                int length = (int)Math.Min(size - offset, int.MaxValue / 2);
                var dst = new Span<T>(gradWeight + offset, length);
                TensorPrimitives.Add(dst, new ReadOnlySpan<T>(source + offset, length), dst);
            }
        }
        if (gradBias != null)
            ChannelSumCore(gradOutput, g.Batch, g.OutChannels, (long)g.OutHeight * g.OutWidth, gradBias);
    }

    private static void BackwardWeightRange<T>(in Conv2dGeometry g, int n0, int n1, T* input, T* gradOutput, T* gradWeight) where T : unmanaged, INumber<T>
    {
        int coutG = g.OutChannelsPerGroup, k = g.PatchSize, outWidth = g.OutWidth;
        long outPlane = (long)g.OutHeight * outWidth, inPlane = (long)g.InHeight * g.InWidth;
        new Span<T>(gradWeight, checked((int)g.WeightSize)).Clear();
        bool pointwise = IsPointwise(g);
        int band = pointwise ? 0 : BandRows(g, sizeof(T));
        T* col = pointwise ? null : ScratchBuffers.Work<T>((long)k * band * outWidth);
        for (int n = n0; n < n1; n++)
            for (int group = 0; group < g.Groups; group++)
            {
                T* x = input + ((long)n * g.InChannels + (long)group * g.InChannelsPerGroup) * inPlane;
                T* dy = gradOutput + ((long)n * g.OutChannels + (long)group * coutG) * outPlane;
                T* dw = gradWeight + (long)group * coutG * k;
                // dW_g[co, kk] += Σ_j dy[co, j] · col[kk, j]: B = colᵀ, so row stride 1 and column stride = col's row length.
                if (pointwise)
                {
                    MatMul(coutG, k, (int)outPlane, dy, outPlane, 1, x, 1, inPlane, dw, k, true);
                    continue;
                }
                for (int oh0 = 0; oh0 < g.OutHeight; oh0 += band)
                {
                    int rows = Math.Min(band, g.OutHeight - oh0), cols = rows * outWidth;
                    Im2Col.Gather(g, x, oh0, rows, col);
                    MatMul(coutG, k, cols, dy + (long)oh0 * outWidth, outPlane, 1, col, 1, cols, dw, k, true);
                }
            }
    }

    private static void TransposeForward<T>(Conv2dGeometry g, T* input, T* weight, T* bias, T* output) where T : unmanaged, INumber<T>
    {
        BackwardInput(g, input, weight, output);
        if (bias == null) return;
        long plane = (long)g.InHeight * g.InWidth;
        int channels = g.InChannels;
        WorkerPool.For(g.Batch * channels, 16, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var span = new Span<T>(output + p * plane, (int)plane);
                TensorPrimitives.Add(span, bias[p % channels], span);
            }
        });
    }

    private static void ChannelSumCore<T>(T* data, int batch, int channels, long planeSize, T* sums) where T : unmanaged, INumber<T>
    {
        WorkerPool.For(channels, 8, (start, end) =>
        {
            for (int c = start; c < end; c++)
            {
                T total = T.Zero;
                for (int n = 0; n < batch; n++)
                    total += TensorPrimitives.Sum(new ReadOnlySpan<T>(data + ((long)n * channels + c) * planeSize, (int)planeSize));
                sums[c] = total;
            }
        });
    }

    /// <summary>A 1×1 kernel with stride 1 and no padding reads every input pixel once, in order: the input planes are the im2col matrix.</summary>
    private static bool IsPointwise(in Conv2dGeometry g) =>
        g.KernelHeight == 1 && g.KernelWidth == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0;

    /// <summary>Output rows per im2col band: as many as fit <see cref="ColumnBudgetBytes"/>, at least one.</summary>
    private static int BandRows(in Conv2dGeometry g, int elementSize) =>
        (int)Math.Clamp(ColumnBudgetBytes / ((long)g.PatchSize * g.OutWidth * elementSize), 1, g.OutHeight);

    /// <summary>The type switch at the edge: one generic kernel, the GEMM picked by element type.</summary>
    private static void MatMul<T>(int m, int n, int k, T* a, long aRowStride, long aColStride, T* b, long bRowStride, long bColStride, T* c, long ldc, bool accumulate)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            Gemm.Sgemm(m, n, k, (float*)a, aRowStride, aColStride, (float*)b, bRowStride, bColStride, (float*)c, ldc, accumulate);
        else if (typeof(T) == typeof(double))
            Gemm.Dgemm(m, n, k, (double*)a, aRowStride, aColStride, (double*)b, bRowStride, bColStride, (double*)c, ldc, accumulate);
        else
            throw new NotSupportedException($"Convolution: element type {typeof(T).Name} is not supported.");
    }

    [Conditional("DEBUG")]
    private static void AssertValid(in Conv2dGeometry g)
    {
        Debug.Assert(g.Batch >= 0 && g.InChannels > 0 && g.OutChannels > 0 && g.Groups > 0);
        Debug.Assert(g.InChannels % g.Groups == 0 && g.OutChannels % g.Groups == 0);
        Debug.Assert(g.KernelHeight > 0 && g.KernelWidth > 0 && g.StrideH > 0 && g.StrideW > 0);
        Debug.Assert(g.PadH >= 0 && g.PadW >= 0 && g.DilationH > 0 && g.DilationW > 0);
        Debug.Assert(g.OutHeight > 0 && g.OutWidth > 0);
    }
}
