using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// 2-D convolution kernels over contiguous NCHW data (float32 and float64), lowered onto
/// <see cref="Gemm"/>. Per sample n and group g, with W_g the [Cout/G, K] weight rows
/// (K = Cin/G·kh·kw) and col the im2col matrix [K, Hout·Wout]:
/// <list type="bullet">
/// <item>forward: y = W_g · col (+ bias) — or <see cref="Winograd"/> F(4×4, 3×3) for 3×3 stride-1 layers, and
/// <see cref="PolyphaseWinograd"/> F(2×2, 2×2) over the four phases of the input for 4×4 stride-2 ones (all three passes);</item>
/// <item>input gradient: dcol = W_gᵀ · dy, then col2im adds dcol into dx (Winograd on the flipped weights for 3×3 stride 1);</item>
/// <item>weight gradient: dW_g += dy · colᵀ, summed over samples (per-thread partial sums, then reduced), or Winograd for 3×3 stride 1.</item>
/// </list>
/// Layers with a few input channels and a small kernel (LeNet's first) take the direct
/// <see cref="SmallInputConvolution"/> kernels for the forward and weight-gradient passes, and small
/// layers with 16 or 32 output channels (LeNet's second) the <see cref="ChannelVectorConvolution"/> ones.
/// Small images are batched several samples per GEMM and large ones split into bands of output
/// rows (see <see cref="Plan"/>). Depthwise layers (one input channel per output channel) take the direct
/// <see cref="DepthwiseConvolution"/> kernels. A 1×1 convolution with stride 1 and no padding
/// needs no im2col: the input planes already are the column matrix. Work is split over
/// (sample, group) pairs through <see cref="WorkerPool"/>; the GEMM is called from inside the
/// parallel bodies. Kernels trust their inputs (checked at the public boundary above them).
/// </summary>
internal static unsafe class Convolution
{
    /// <summary>
    /// Largest im2col matrix one thread builds at once. Whole-sample matrices (1.3 MiB for res64) beat
    /// L2-sized bands of output rows: the GEMM's n shrinks with the band and it repacks the weights per band
    /// (bench <c>conv</c>; figures in bench/README.md).
    /// </summary>
    private const long ColumnBudgetBytes = 2 << 20;

    /// <summary>
    /// Largest im2col matrix of several small samples batched into one GEMM. Every block repacks the weights, which
    /// for ResNet-18's last stage (512 × 4608 floats, 9 MB) costs about a fifth of a 2 MB block's product (12 samples
    /// of 3×3); much larger blocks leave the caches (bench <c>conv</c> with <c>CONV_SHAPES</c>; figures in bench/README.md).
    /// </summary>
    private const long SampleBlockBudgetBytes = 4 << 20;

    /// <summary>
    /// Whether the three passes of 3×3 stride-1 layers use <see cref="Winograd"/> where it applies (on unless
    /// <c>NABLA_CONV_WINOGRAD=0</c>, which keeps the im2col path for comparison): it does fewer multiplications, and
    /// was much faster on res64/res128 over the three passes (bench <c>conv</c>; figures in bench/README.md).
    /// </summary>
    internal static readonly bool WinogradEnabled = Environment.GetEnvironmentVariable("NABLA_CONV_WINOGRAD") != "0";

    /// <summary>Below this many output channels per group the weight gradient uses <see cref="RowDot"/>: the GEMM's tile would be mostly empty.</summary>
    private const int FewOutChannels = 32;

    /// <summary>GEMM columns (samples × output pixels) worth batching small images up to.</summary>
    private const long TargetColumns = 512;

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
        if (WinogradEnabled && Winograd.Applies(g) && Winograd.PaysForward(g))
        {
            Winograd.Forward(g, input, weight, transposedFlipped: false, bias, output);
            return;
        }
        if (DepthwiseConvolution.Applies(g))
        {
            DepthwiseConvolution.Forward(g, input, weight, bias, output);
            return;
        }
        if (PolyphaseWinograd.Applies(g))
        {
            PolyphaseWinograd.Forward(g, input, weight, bias, output);
            return;
        }
        if (SmallInputConvolution.Applies<T>(g))
        {
            SmallInputConvolution.Forward(g, (float*)input, (float*)weight, (float*)bias, (float*)output);
            return;
        }
        if (ChannelVectorConvolution.Applies<T>(g))
        {
            ChannelVectorConvolution.Forward(g, (float*)input, (float*)weight, (float*)bias, (float*)output);
            return;
        }
        ForwardByGemm(g, input, weight, bias, output);
    }

    /// <summary>The general path: im2col bands and the GEMM. (Its own method: the closure's captures would otherwise be allocated on every path above.)</summary>
    private static void ForwardByGemm<T>(Conv2dGeometry g, T* input, T* weight, T* bias, T* output) where T : unmanaged, INumber<T>
    {
        // The operands go to the workers by value (a static lambda, no closure): a compiled graph's call allocates nothing
        // on this path either (the one the AVX2 and portable kernels take for LeNet's convolutions).
        var plan = new Plan(g, sizeof(T));
        ForEachTaskInFixedOrder(plan.Blocks * g.Groups, (G: g, Plan: plan, Input: (nint)input, Weight: (nint)weight, Bias: (nint)bias, Output: (nint)output),
            static (s, participant, task) =>
                ForwardBlock(s.G, s.Plan, task / s.G.Groups, task % s.G.Groups, (T*)s.Input, (T*)s.Weight, (T*)s.Bias, (T*)s.Output));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardBlock<T>(in Conv2dGeometry g, in Plan plan, int block, int group, T* input, T* weight, T* bias, T* output)
        where T : unmanaged, INumber<T>
    {
        int coutG = g.OutChannelsPerGroup, k = g.PatchSize, outWidth = g.OutWidth;
        long outPlane = (long)g.OutHeight * outWidth;
        int n0 = block * plan.SamplesPerBlock, count = Math.Min(plan.SamplesPerBlock, g.Batch - n0);
        T* w = weight + (long)group * coutG * k;
        if (plan.Pointwise)
            MatMul(coutG, (int)outPlane, k, w, k, 1, InputPlanes(g, input, n0, group), plan.InPlane, 1, OutputPlanes(g, output, n0, group), outPlane, false);
        else
        {
            T* col = ScratchBuffers.Get<T>(ScratchSlot.Columns, (long)k * plan.MaxColumns);
            for (int oh0 = 0; oh0 < g.OutHeight; oh0 += plan.BandRows)
            {
                int rows = Math.Min(plan.BandRows, g.OutHeight - oh0), pixels = rows * outWidth, cols = count * pixels;
                for (int s = 0; s < count; s++)
                    Im2Col.Gather(g, InputPlanes(g, input, n0 + s, group), oh0, rows, col + (long)s * pixels, cols);
                if (count == 1)
                {
                    MatMul(coutG, cols, k, w, k, 1, col, cols, 1, OutputPlanes(g, output, n0, group) + (long)oh0 * outWidth, outPlane, false);
                    continue;
                }
                // Several samples share one GEMM (wider n); its [Cout/G, samples·pixels] result is then split back into NCHW.
                T* staged = ScratchBuffers.Get<T>(ScratchSlot.Staging, (long)coutG * cols);
                MatMul(coutG, cols, k, w, k, 1, col, cols, 1, staged, cols, false);
                for (int s = 0; s < count; s++)
                {
                    T* y = OutputPlanes(g, output, n0 + s, group);
                    for (int co = 0; co < coutG; co++) Im2Col.Copy(staged + (long)co * cols + (long)s * pixels, y + co * outPlane, pixels);
                }
            }
        }
        if (bias != null)
            for (int s = 0; s < count; s++)
            {
                T* y = OutputPlanes(g, output, n0 + s, group);
                for (int co = 0; co < coutG; co++)
                {
                    var plane = new Span<T>(y + co * outPlane, (int)outPlane);
                    TensorPrimitives.Add(plane, bias[group * coutG + co], plane);
                }
            }
    }

    private static void BackwardInput<T>(Conv2dGeometry g, T* gradOutput, T* weight, T* gradInput) where T : unmanaged, INumber<T>
    {
        AssertValid(g);
        if (WinogradEnabled && Winograd.Applies(g) && Winograd.PaysForward(g))
        {
            // dx = conv2d(dy, w transposed and flipped, padding 2 − p): the adjoint of a 3×3 stride-1 convolution.
            Winograd.Forward(Winograd.Adjoint(g), gradOutput, weight, transposedFlipped: true, null, gradInput);
            return;
        }
        if (DepthwiseConvolution.Applies(g))
        {
            DepthwiseConvolution.BackwardInput(g, gradOutput, weight, gradInput);
            return;
        }
        if (PolyphaseWinograd.Applies(g))
        {
            PolyphaseWinograd.BackwardInput(g, gradOutput, weight, gradInput);
            return;
        }
        if (ChannelVectorConvolution.AppliesToInputGradient<T>(g))
        {
            ChannelVectorConvolution.BackwardInput(g, (float*)gradOutput, (float*)weight, (float*)gradInput);
            return;
        }
        var plan = new Plan(g, sizeof(T));
        int groups = g.Groups;
        ForEachTask(plan.Blocks * groups, (participant, task) => BackwardInputBlock(g, plan, task / groups, task % groups, gradOutput, weight, gradInput));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardInputBlock<T>(in Conv2dGeometry g, in Plan plan, int block, int group, T* gradOutput, T* weight, T* gradInput)
        where T : unmanaged, INumber<T>
    {
        int coutG = g.OutChannelsPerGroup, k = g.PatchSize;
        long outPlane = (long)g.OutHeight * g.OutWidth;
        int n0 = block * plan.SamplesPerBlock, count = Math.Min(plan.SamplesPerBlock, g.Batch - n0);
        T* w = weight + (long)group * coutG * k;
        // A = W_gᵀ: A(i, p) = W_g[p, i], so row stride 1 and column stride K.
        if (plan.Pointwise)
        {
            MatMul(k, (int)outPlane, coutG, w, 1, k, OutputPlanes(g, gradOutput, n0, group), outPlane, 1, InputPlanes(g, gradInput, n0, group), plan.InPlane, false);
            return;
        }
        // A strided 1×1 layer's bands write their input rows outright (zeros between the samples); others add into cleared planes.
        bool stridedPoint = Im2Col.IsStridedPoint(g);
        if (!stridedPoint)
            for (int s = 0; s < count; s++)
                new Span<T>(InputPlanes(g, gradInput, n0 + s, group), checked((int)(g.InChannelsPerGroup * plan.InPlane))).Clear();
        T* col = ScratchBuffers.Get<T>(ScratchSlot.Columns, (long)k * plan.MaxColumns);
        for (int oh0 = 0; oh0 < g.OutHeight; oh0 += plan.BandRows)
        {
            int rows = Math.Min(plan.BandRows, g.OutHeight - oh0), pixels = rows * g.OutWidth, cols = count * pixels;
            T* dy = StageGradOutput(g, gradOutput, n0, count, group, oh0, pixels, out long dyRowStride);
            MatMul(k, cols, coutG, w, 1, k, dy, dyRowStride, 1, col, cols, false);
            for (int s = 0; s < count; s++)
            {
                T* dx = InputPlanes(g, gradInput, n0 + s, group);
                if (stridedPoint) Im2Col.WriteStridedPoints(g, col + (long)s * pixels, cols, oh0, rows, dx);
                else Im2Col.Scatter(g, col + (long)s * pixels, cols, oh0, rows, dx);
            }
        }
    }

    private static void BackwardWeight<T>(Conv2dGeometry g, T* input, T* gradOutput, T* gradWeight, T* gradBias) where T : unmanaged, INumber<T>
    {
        AssertValid(g);
        if (WinogradEnabled && Winograd.Applies(g))
        {
            Winograd.BackwardWeight(g, input, gradOutput, gradWeight);
            if (gradBias != null)
                ChannelSumCore(gradOutput, g.Batch, g.OutChannels, (long)g.OutHeight * g.OutWidth, gradBias);
            return;
        }
        if (DepthwiseConvolution.Applies(g))
        {
            DepthwiseConvolution.BackwardWeight(g, input, gradOutput, gradWeight);
            if (gradBias != null)
                ChannelSumCore(gradOutput, g.Batch, g.OutChannels, (long)g.OutHeight * g.OutWidth, gradBias);
            return;
        }
        if (PolyphaseWinograd.Applies(g))
        {
            PolyphaseWinograd.BackwardWeight(g, input, gradOutput, gradWeight);
            if (gradBias != null)
                ChannelSumCore(gradOutput, g.Batch, g.OutChannels, (long)g.OutHeight * g.OutWidth, gradBias);
            return;
        }
        if (SmallInputConvolution.Applies<T>(g))
        {
            SmallInputConvolution.BackwardWeight(g, (float*)input, (float*)gradOutput, (float*)gradWeight);
            if (gradBias != null)
                ChannelSumCore(gradOutput, g.Batch, g.OutChannels, (long)g.OutHeight * g.OutWidth, gradBias);
            return;
        }
        if (ChannelVectorConvolution.Applies<T>(g))
        {
            ChannelVectorConvolution.BackwardWeight(g, (float*)input, (float*)gradOutput, (float*)gradWeight);
            if (gradBias != null)
                ChannelSumCore(gradOutput, g.Batch, g.OutChannels, (long)g.OutHeight * g.OutWidth, gradBias);
            return;
        }
        // dW_gᵀ[K, Cout/G] = Σ col · dyᵀ keeps the long dimension K as the GEMM's m, which the
        // micro-kernel runs faster than m = Cout/G (short m wastes its row tiles). Each
        // participant sums the sample blocks it takes into its own transposed copy (in the caller's
        // reduction slot); the copies are then added and transposed into gradWeight.
        var plan = new Plan(g, sizeof(T));
        int parts = Math.Max(1, Math.Min(WorkerPool.ThreadCount, plan.Blocks)); // one cleared part even for an empty batch
        long size = g.WeightSize;
        T* partials = ScratchBuffers.Get<T>(ScratchSlot.Reduction, parts * size);
        for (int part = 0; part < parts; part++) new Span<T>(partials + part * size, checked((int)size)).Clear();
        ForEachTaskInFixedOrder(plan.Blocks, (participant, block) => BackwardWeightBlock(g, plan, block, input, gradOutput, partials + participant * size));
        int coutG = g.OutChannelsPerGroup, k = g.PatchSize;
        // Add the partial sums into the first, in order (the same sums on every run), contiguous and vectorised.
        const int SumChunk = 1 << 14;
        if (parts > 1)
            WorkerPool.For((int)((size + SumChunk - 1) / SumChunk), 4, (start, end) =>
            {
                long begin = (long)start * SumChunk, length = Math.Min((long)end * SumChunk, size) - begin;
                var total = new Span<T>(partials + begin, (int)length);
                for (int part = 1; part < parts; part++)
                    TensorPrimitives.Add(total, new ReadOnlySpan<T>(partials + part * size + begin, (int)length), total);
            });
        // Transpose partial[group][kk][co mod coutG] into gradWeight[co][kk], in tiles that stay in L1.
        const int TransposeTile = 32;
        WorkerPool.For((g.OutChannels + TransposeTile - 1) / TransposeTile, 1, (start, end) =>
        {
            for (int co0 = start * TransposeTile; co0 < Math.Min(end * TransposeTile, g.OutChannels); co0 += TransposeTile)
                for (int kk0 = 0; kk0 < k; kk0 += TransposeTile)
                    for (int co = co0; co < Math.Min(co0 + TransposeTile, g.OutChannels); co++)
                    {
                        T* source = partials + ((long)(co / coutG) * k * coutG) + (co % coutG);
                        T* dw = gradWeight + ((long)co * k);
                        for (int kk = kk0; kk < Math.Min(kk0 + TransposeTile, k); kk++) dw[kk] = source[(long)kk * coutG];
                    }
        });
        if (gradBias != null)
            ChannelSumCore(gradOutput, g.Batch, g.OutChannels, (long)g.OutHeight * g.OutWidth, gradBias);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardWeightBlock<T>(in Conv2dGeometry g, in Plan plan, int block, T* input, T* gradOutput, T* gradWeightT)
        where T : unmanaged, INumber<T>
    {
        int coutG = g.OutChannelsPerGroup, k = g.PatchSize;
        long outPlane = (long)g.OutHeight * g.OutWidth;
        T* col = plan.Pointwise ? null : ScratchBuffers.Get<T>(ScratchSlot.Columns, (long)k * plan.MaxColumns);
        int n0 = block * plan.SamplesPerBlock, count = Math.Min(plan.SamplesPerBlock, g.Batch - n0);
        for (int group = 0; group < g.Groups; group++)
        {
            T* dwT = gradWeightT + (long)group * k * coutG;
            // dW_gᵀ[kk, co] += Σ_q col[kk, q] · dy[co, q]: B(q, co) = dy[co·rowStride + q].
            if (plan.Pointwise)
            {
                T* x = InputPlanes(g, input, n0, group), dyPlanes = OutputPlanes(g, gradOutput, n0, group);
                if (coutG < FewOutChannels) RowDot.Accumulate(k, coutG, (int)outPlane, x, plan.InPlane, dyPlanes, outPlane, dwT, coutG);
                else MatMul(k, coutG, (int)outPlane, x, plan.InPlane, 1, dyPlanes, 1, outPlane, dwT, coutG, true);
                continue;
            }
            for (int oh0 = 0; oh0 < g.OutHeight; oh0 += plan.BandRows)
            {
                int rows = Math.Min(plan.BandRows, g.OutHeight - oh0), pixels = rows * g.OutWidth, cols = count * pixels;
                for (int s = 0; s < count; s++)
                    Im2Col.Gather(g, InputPlanes(g, input, n0 + s, group), oh0, rows, col + (long)s * pixels, cols);
                T* dy = StageGradOutput(g, gradOutput, n0, count, group, oh0, pixels, out long dyRowStride);
                if (coutG < FewOutChannels) RowDot.Accumulate(k, coutG, cols, col, cols, dy, dyRowStride, dwT, coutG);
                else MatMul(k, coutG, cols, col, cols, 1, dy, 1, dyRowStride, dwT, coutG, true);
            }
        }
    }

    /// <summary>
    /// The gradient rows [Cout/G, count·pixels] for output rows [oh0, oh0 + pixels/OW) of samples n0…: the
    /// NCHW data itself when count = 1 (row stride Hout·Wout), else a copy regrouped in the staging slot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T* StageGradOutput<T>(in Conv2dGeometry g, T* gradOutput, int n0, int count, int group, int oh0, int pixels, out long rowStride)
        where T : unmanaged, INumber<T>
    {
        long outPlane = (long)g.OutHeight * g.OutWidth;
        if (count == 1)
        {
            rowStride = outPlane;
            return OutputPlanes(g, gradOutput, n0, group) + (long)oh0 * g.OutWidth;
        }
        int coutG = g.OutChannelsPerGroup;
        long cols = (long)count * pixels;
        T* staged = ScratchBuffers.Get<T>(ScratchSlot.Staging, coutG * cols);
        for (int s = 0; s < count; s++)
        {
            T* dy = OutputPlanes(g, gradOutput, n0 + s, group) + (long)oh0 * g.OutWidth;
            for (int co = 0; co < coutG; co++) Im2Col.Copy(dy + co * outPlane, staged + co * cols + (long)s * pixels, pixels);
        }
        rowStride = cols;
        return staged;
    }

    /// <summary>
    /// Runs task(participant, t) for t in [0, tasks) on up to <see cref="WorkerPool.ThreadCount"/> threads.
    /// Tasks are handed out one at a time from a shared counter rather than in fixed halves, so on a
    /// busy machine a descheduled thread delays only the task it holds. participant ∈ [0, min(threads, tasks)).
    /// </summary>
    internal static void ForEachTask(int tasks, Action<int, int> task)
    {
        int participants = Math.Min(WorkerPool.ThreadCount, tasks);
        if (participants <= 1)
        {
            for (int t = 0; t < tasks; t++) task(0, t);
            return;
        }
        var next = new StrongBox<int>(0);
        WorkerPool.For(participants, 1, (start, end) =>
        {
            int t;
            while ((t = Interlocked.Increment(ref next.Value) - 1) < tasks) task(start, t);
        });
    }

    /// <summary>
    /// Like <see cref="ForEachTask"/>, but participant p always takes tasks p, p + P, p + 2P, … in that
    /// order. For reductions into per-participant partial sums: the floating-point sums then come out
    /// the same on every run (bit-identical training and resume), whatever the scheduling.
    /// </summary>
    internal static void ForEachTaskInFixedOrder(int tasks, Action<int, int> task)
    {
        int participants = Math.Min(WorkerPool.ThreadCount, tasks);
        if (participants <= 1)
        {
            for (int t = 0; t < tasks; t++) task(0, t);
            return;
        }
        WorkerPool.For(participants, 1, (start, end) =>
        {
            for (int participant = start; participant < end; participant++)
                for (int t = participant; t < tasks; t += participants) task(participant, t);
        });
    }

    /// <summary>
    /// <see cref="ForEachTaskInFixedOrder(int, Action{int, int})"/> without an allocation: <paramref name="task"/>(state, participant, t)
    /// should be a static lambda that reads its operands from <paramref name="state"/> (a compiled graph's call allocates nothing).
    /// </summary>
    internal static void ForEachTaskInFixedOrder<TState>(int tasks, TState state, TaskBody<TState> task)
    {
        int participants = Math.Min(WorkerPool.ThreadCount, tasks);
        if (participants <= 1)
        {
            for (int t = 0; t < tasks; t++) task(state, 0, t);
            return;
        }
        WorkerPool.For(participants, 1, (State: state, Task: task, Tasks: tasks, Participants: participants), static (s, start, end) =>
        {
            for (int participant = start; participant < end; participant++)
                for (int t = participant; t < s.Tasks; t += s.Participants) s.Task(s.State, participant, t);
        });
    }

    /// <summary>One task of <see cref="ForEachTaskInFixedOrder{TState}"/>.</summary>
    internal delegate void TaskBody<TState>(TState state, int participant, int task);

    /// <summary>The operands of a direct convolution's forward, handed to the workers by value.</summary>
    internal readonly record struct ForwardOperands(Conv2dGeometry G, nint Input, nint Packed, nint Bias, nint Output);

    /// <summary>
    /// Runs <paramref name="accumulate"/>(n, partial) for every sample n, each participant adding into its own
    /// zeroed <paramref name="size"/>-element partial sum (the caller's reduction slot) and taking its samples
    /// in a fixed order, so the sums come out the same on every run. Returns the partials; the caller adds
    /// the <paramref name="parts"/> of them in order.
    /// </summary>
    internal static float* SumOverSamples(int batch, long size, SampleAccumulator accumulate, out int parts)
    {
        int count = Math.Min(WorkerPool.ThreadCount, batch);
        float* partials = ScratchBuffers.Get<float>(ScratchSlot.Reduction, count * size);
        new Span<float>(partials, checked((int)(count * size))).Clear();
        ForEachTaskInFixedOrder(batch, (participant, n) => accumulate(n, partials + participant * size));
        parts = count;
        return partials;
    }

    /// <summary>Adds one sample's contribution into a partial sum (see <see cref="SumOverSamples"/>).</summary>
    internal delegate void SampleAccumulator(int sample, float* partial);

    /// <summary>First input plane of sample n, group g.</summary>
    private static T* InputPlanes<T>(in Conv2dGeometry g, T* input, int n, int group) where T : unmanaged =>
        input + ((long)n * g.InChannels + (long)group * g.InChannelsPerGroup) * g.InHeight * g.InWidth;

    /// <summary>First output plane of sample n, group g.</summary>
    private static T* OutputPlanes<T>(in Conv2dGeometry g, T* output, int n, int group) where T : unmanaged =>
        output + ((long)n * g.OutChannels + (long)group * g.OutChannelsPerGroup) * g.OutHeight * g.OutWidth;

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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    /// <summary>
    /// How a pass walks the data: blocks of <see cref="SamplesPerBlock"/> samples whose im2col matrices
    /// sit side by side (so small images still give the GEMM ~<see cref="TargetColumns"/> columns), or,
    /// for an image whose matrix exceeds <see cref="ColumnBudgetBytes"/>, one sample in bands of
    /// <see cref="BandRows"/> output rows. A 1×1 kernel with stride 1 and no padding reads every input
    /// pixel once, in order: its input planes are the column matrix (<see cref="Pointwise"/>, one sample per block).
    /// </summary>
    private readonly struct Plan
    {
        public readonly bool Pointwise;
        public readonly int SamplesPerBlock;
        public readonly int BandRows;
        public readonly int Blocks;
        public readonly long InPlane;
        public readonly long MaxColumns;

        public Plan(in Conv2dGeometry g, int elementSize)
        {
            long outPlane = (long)g.OutHeight * g.OutWidth;
            InPlane = (long)g.InHeight * g.InWidth;
            Pointwise = g.KernelHeight == 1 && g.KernelWidth == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0;
            long sampleBytes = (long)g.PatchSize * outPlane * elementSize;
            if (Pointwise)
            {
                SamplesPerBlock = 1;
                BandRows = g.OutHeight;
            }
            else if (sampleBytes <= ColumnBudgetBytes)
            {
                long wanted = (TargetColumns + outPlane - 1) / outPlane;
                long most = Math.Max(1, Math.Min(Math.Min(wanted, SampleBlockBudgetBytes / sampleBytes), g.Batch));
                // As many blocks as that takes, rounded up to a multiple of the threads, then samples spread evenly over them.
                int threads = WorkerPool.ThreadCount;
                long blocks = Math.Max(1, (g.Batch + most - 1) / most); // an empty batch still plans one (empty) block
                if (g.Batch >= threads) blocks = (blocks + threads - 1) / threads * threads;
                SamplesPerBlock = (int)Math.Max(1, (g.Batch + blocks - 1) / blocks);
                BandRows = g.OutHeight;
            }
            else
            {
                SamplesPerBlock = 1;
                BandRows = (int)Math.Clamp(ColumnBudgetBytes / ((long)g.PatchSize * g.OutWidth * elementSize), 1, g.OutHeight);
            }
            Blocks = (g.Batch + SamplesPerBlock - 1) / SamplesPerBlock;
            MaxColumns = (long)SamplesPerBlock * BandRows * g.OutWidth;
        }
    }

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
