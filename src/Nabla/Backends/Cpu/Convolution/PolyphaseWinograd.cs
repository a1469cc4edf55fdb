using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

/// <summary>
/// 4×4 stride-2 convolution (DCGAN's discriminator, and through the adjoint its generator's transposed convolutions) as
/// Winograd's F(2×2, 2×2) over the four polyphase components of the input. With i = 2a + s, j = 2b + t (a, b, s, t ∈ {0, 1})
/// and the phase images P[ci, s, t](u, v) = xpad[ci, 2u + s, 2v + t],
/// <code>y[co, oh, ow] = Σ_{ci, s, t} Σ_{a, b} w[co, ci, 2a + s, 2b + t] · P[ci, s, t](oh + a, ow + b),</code>
/// a stride-1 2×2 convolution over K' = 4·Cin phase channels c' = 4ci + 2s + t (a space-to-depth of the padded input).
/// F(2×2, 2×2) (Lavin &amp; Gray, 2016) gives each 2×2 output tile as Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A from its 3×3 phase patch d, with
/// <code>Bᵀ d = (d0 − d1, d1, d2 − d1),   G g = (g0, g0 + g1, g1),   Aᵀ m = (m0 + m1, m1 + m2):</code>
/// 9 multiplies per 4 outputs instead of 16, and coefficients 0 and ±1 only, so it rounds no worse than the plain sums.
/// The channel sums become 9 GEMMs M[ξ] (tiles × Cout) = V[ξ] (tiles × K') · U[ξ] (K' × Cout), one per transform point ξ.
/// <list type="bullet">
/// <item>input gradient (and <see cref="Convolution.ConvTranspose2dForward(in Conv2dGeometry, float*, float*, float*, float*)"/>):
/// the adjoint of each step in reverse — (A dY Aᵀ), the GEMMs against U[ξ]ᵀ, then B dV Bᵀ added into the phase patches,
/// which are finally spread back to NCHW (every input pixel belongs to exactly one phase);</item>
/// <item>weight gradient: dU[ξ] (K' × Cout) = Σ_tiles V[ξ]ᵀ · (A dY Aᵀ)[ξ], then dg = Gᵀ dU G with Gᵀ u = (u0 + u1, u1 + u2).</item>
/// </list>
/// Data is regrouped channel-last (phase channels or output channels innermost, padded to the vector width) so the transforms
/// run on whole vectors; blocks of samples go to the threads, each calling the GEMMs on its own block.
/// </summary>
internal static unsafe class PolyphaseWinograd
{
    private const int Points = 9;        // (2 + 2 − 1)²
    private const int TargetTiles = 256; // GEMM rows per block: each block repacks the whole U, so not much less

    /// <summary>
    /// Whether the passes of <paramref name="g"/> take this path (unless <c>NABLA_CONV_POLYPHASE=0</c>): a 4×4 kernel with
    /// stride 2, dilation 1 and one group, the AVX-512 path (<see cref="CpuFeatures.Active"/>), at least 4 input and 16 output channels (the GEMMs' K' and n),
    /// enough tiles in the call (<see cref="MinTiles"/>) and a transformed sample that fits the scratch budget.
    /// </summary>
    public static bool Applies(in Conv2dGeometry g) =>
        Enabled && Wide && g.Batch > 0 && g.KernelHeight == 4 && g.KernelWidth == 4 &&
        g.StrideH == 2 && g.StrideW == 2 && g.DilationH == 1 && g.DilationW == 1 && g.Groups == 1 &&
        g.InChannels >= 4 && g.OutChannels >= 16 &&
        (long)g.Batch * TilesPerSample(g) >= MinTiles &&
        (long)Points * TilesPerSample(g) * Math.Max(4L * g.InChannels, g.OutChannels) <= MaxTransformedSampleElements;

    /// <summary>The AVX-512 kernel path is active (not lowered by <c>NABLA_CPU_ISA</c>), with the AVX2 gathers it also uses.</summary>
    private static readonly bool Wide = CpuFeatures.Active >= CpuIsa.Avx512 && Avx512F.IsSupported && Avx2.IsSupported;

    /// <summary>
    /// Whether the path is on: <c>NABLA_CONV_POLYPHASE=0</c> keeps such layers on the im2col path; the bench flips it between
    /// iterations to compare both in one process (<c>DCGAN_COMPARE_POLYPHASE=1</c>).
    /// </summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("NABLA_CONV_POLYPHASE") != "0";

    /// <summary>Fewest tiles per call: below, the filter transform on every call and the repacking of U outweigh the saving.</summary>
    private const int MinTiles = 32;

    /// <summary>A block holds at least one transformed sample; past ~16 MB of float32 (large images) im2col's row bands are used.</summary>
    private const long MaxTransformedSampleElements = 4L << 20;

    private static int TilesPerSample(in Conv2dGeometry g) => ((g.OutHeight + 1) / 2) * ((g.OutWidth + 1) / 2);

    /// <summary>output = conv2d(input, weight) + bias (bias may be null) for a geometry where <see cref="Applies"/>.</summary>
    public static void Forward<T>(Conv2dGeometry g, T* input, T* weight, T* bias, T* output) where T : unmanaged, INumber<T>
    {
        Debug.Assert(Applies(g));
        var plan = new Plan(g, Vector512<T>.Count);
        T* filter = ScratchBuffers.Get<T>(ScratchSlot.Filter, (long)Points * plan.PhaseChannelsPadded * plan.OutChannelsPadded);
        TransformFilter(g, plan, weight, filter);
        Convolution.ForEachTask(plan.Blocks, (participant, block) => ForwardBlock(g, plan, block, input, filter, bias, output));
    }

    /// <summary>gradInput = ∂L/∂input given gradOutput (overwritten), for a geometry where <see cref="Applies"/>.</summary>
    public static void BackwardInput<T>(Conv2dGeometry g, T* gradOutput, T* weight, T* gradInput) where T : unmanaged, INumber<T>
    {
        Debug.Assert(Applies(g));
        var plan = new Plan(g, Vector512<T>.Count);
        T* filter = ScratchBuffers.Get<T>(ScratchSlot.Filter, (long)Points * plan.PhaseChannelsPadded * plan.OutChannelsPadded);
        TransformFilterTransposed(g, plan, weight, filter);
        Convolution.ForEachTask(plan.Blocks, (participant, block) => BackwardInputBlock(g, plan, block, gradOutput, filter, gradInput));
    }

    /// <summary>gradWeight = ∂L/∂weight (overwritten) for a geometry where <see cref="Applies"/>; the sums come out the same on every run.</summary>
    public static void BackwardWeight<T>(Conv2dGeometry g, T* input, T* gradOutput, T* gradWeight) where T : unmanaged, INumber<T>
    {
        Debug.Assert(Applies(g));
        var plan = new Plan(g, Vector512<T>.Count);
        int parts = Math.Min(WorkerPool.ThreadCount, plan.Blocks);
        long size = (long)Points * plan.PhaseChannelsPadded * plan.OutChannelsPadded;
        T* partials = ScratchBuffers.Get<T>(ScratchSlot.Reduction, parts * size);
        new Span<T>(partials, checked((int)(parts * size))).Clear();
        Convolution.ForEachTaskInFixedOrder(plan.Blocks, (participant, block) =>
            WeightBlock(g, plan, block, input, gradOutput, partials + participant * size));
        for (int part = 1; part < parts; part++)
        {
            T* source = partials + part * size;
            for (long at = 0; at < size; at += Vector512<T>.Count)
                (Vector512.Load(partials + at) + Vector512.Load(source + at)).Store(partials + at);
        }
        var geometry = g;
        WorkerPool.For(g.OutChannels, 8, (start, end) => TransformWeightGradient(geometry, plan, partials, gradWeight, start, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardBlock<T>(in Conv2dGeometry g, in Plan plan, int block, T* input, T* filter, T* bias, T* output)
        where T : unmanaged, INumber<T>
    {
        int n0 = block * plan.SamplesPerBlock, count = Math.Min(plan.SamplesPerBlock, g.Batch - n0);
        int tiles = count * plan.TilesPerSample, phasePad = plan.PhaseChannelsPadded, coutPad = plan.OutChannelsPadded;
        T* channelLast = ScratchBuffers.Get<T>(ScratchSlot.ChannelLast, plan.ChannelLastSize);
        T* transformed = ScratchBuffers.Get<T>(ScratchSlot.Columns, (long)Points * tiles * phasePad);
        T* products = ScratchBuffers.Get<T>(ScratchSlot.Staging, (long)Points * tiles * coutPad);
        for (int s = 0; s < count; s++)
        {
            ToPhases(g, plan, input + (long)(n0 + s) * g.InChannels * g.InHeight * g.InWidth, channelLast);
            TransformInput(plan, channelLast, transformed, s * plan.TilesPerSample, tiles);
        }
        for (int point = 0; point < Points; point++)
            MatMul(tiles, coutPad, phasePad,
                transformed + (long)point * tiles * phasePad, phasePad, 1,
                filter + (long)point * phasePad * coutPad, coutPad, 1,
                products + (long)point * tiles * coutPad, coutPad, accumulate: false);
        for (int s = 0; s < count; s++)
            TransformOutput(g, plan, products, s * plan.TilesPerSample, tiles, bias, output + (long)(n0 + s) * g.OutChannels * g.OutHeight * g.OutWidth);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardInputBlock<T>(in Conv2dGeometry g, in Plan plan, int block, T* gradOutput, T* filter, T* gradInput)
        where T : unmanaged, INumber<T>
    {
        int n0 = block * plan.SamplesPerBlock, count = Math.Min(plan.SamplesPerBlock, g.Batch - n0);
        int tiles = count * plan.TilesPerSample, phasePad = plan.PhaseChannelsPadded, coutPad = plan.OutChannelsPadded;
        T* channelLast = ScratchBuffers.Get<T>(ScratchSlot.ChannelLast, plan.ChannelLastSize);
        T* gradients = ScratchBuffers.Get<T>(ScratchSlot.Staging, (long)Points * tiles * coutPad);
        T* transformed = ScratchBuffers.Get<T>(ScratchSlot.Columns, (long)Points * tiles * phasePad);
        for (int s = 0; s < count; s++)
        {
            GradientToChannelLast(g, plan, gradOutput + (long)(n0 + s) * g.OutChannels * g.OutHeight * g.OutWidth, channelLast);
            TransformGradient(plan, channelLast, gradients, s * plan.TilesPerSample, tiles);
        }
        // dV[ξ] (tiles × K') = (A dY Aᵀ)[ξ] · U[ξ]ᵀ, U[ξ]ᵀ kept row-major [co][c'] (TransformFilterTransposed).
        for (int point = 0; point < Points; point++)
            MatMul(tiles, phasePad, coutPad,
                gradients + (long)point * tiles * coutPad, coutPad, 1,
                filter + (long)point * phasePad * coutPad, phasePad, 1,
                transformed + (long)point * tiles * phasePad, phasePad, accumulate: false);
        for (int s = 0; s < count; s++)
        {
            new Span<T>(channelLast, checked(plan.PhaseHeight * plan.PhaseWidth * phasePad)).Clear();
            AddInputGradient(plan, transformed, s * plan.TilesPerSample, tiles, channelLast);
            FromPhases(g, plan, channelLast, gradInput + (long)(n0 + s) * g.InChannels * g.InHeight * g.InWidth);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightBlock<T>(in Conv2dGeometry g, in Plan plan, int block, T* input, T* gradOutput, T* sums)
        where T : unmanaged, INumber<T>
    {
        int n0 = block * plan.SamplesPerBlock, count = Math.Min(plan.SamplesPerBlock, g.Batch - n0);
        int tiles = count * plan.TilesPerSample, phasePad = plan.PhaseChannelsPadded, coutPad = plan.OutChannelsPadded;
        T* channelLast = ScratchBuffers.Get<T>(ScratchSlot.ChannelLast, plan.ChannelLastSize);
        T* transformed = ScratchBuffers.Get<T>(ScratchSlot.Columns, (long)Points * tiles * phasePad);
        T* gradients = ScratchBuffers.Get<T>(ScratchSlot.Staging, (long)Points * tiles * coutPad);
        for (int s = 0; s < count; s++)
        {
            ToPhases(g, plan, input + (long)(n0 + s) * g.InChannels * g.InHeight * g.InWidth, channelLast);
            TransformInput(plan, channelLast, transformed, s * plan.TilesPerSample, tiles);
            GradientToChannelLast(g, plan, gradOutput + (long)(n0 + s) * g.OutChannels * g.OutHeight * g.OutWidth, channelLast);
            TransformGradient(plan, channelLast, gradients, s * plan.TilesPerSample, tiles);
        }
        // dU[ξ][co][c'] += Σ_t P[ξ][t][co] · V[ξ][t][c']: A(co, t) = P[ξ][t·coutPad + co] (kept [co][c'] so that
        // TransformWeightGradient reads each output channel's phase channels in order).
        for (int point = 0; point < Points; point++)
            MatMul(coutPad, phasePad, tiles,
                gradients + (long)point * tiles * coutPad, 1, coutPad,
                transformed + (long)point * tiles * phasePad, phasePad, 1,
                sums + (long)point * phasePad * coutPad, phasePad, accumulate: true);
    }

    /// <summary>
    /// x[ci, r, c] → buffer[u·PhaseWidth + v][4ci + 2s + t] with (2u + s, 2v + t) = (r + padH, c + padW), zero elsewhere
    /// (the padding, the padded phase channels, and phase positions past the image). float32 on AVX-512 regroups four channels
    /// at a time by <see cref="Transpose8x8"/>; the remaining channels (and float64) go element by element.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ToPhases<T>(in Conv2dGeometry g, in Plan plan, T* x, T* buffer) where T : unmanaged, INumber<T>
    {
        int phasePad = plan.PhaseChannelsPadded, phaseWidth = plan.PhaseWidth, cin = g.InChannels;
        new Span<T>(buffer, checked(plan.PhaseHeight * phaseWidth * phasePad)).Clear();
        int ci = 0;
        if (typeof(T) == typeof(float) && Avx512F.IsSupported)
        {
            for (; ci + 4 <= cin; ci += 4) ToPhasesByTranspose(g, plan, (float*)x, (float*)buffer, ci);
        }
        for (int u = 0; u < plan.PhaseHeight; u++)
            for (int v = 0; v < phaseWidth; v++) PhasesAt(g, x, buffer + (((long)u * phaseWidth) + v) * phasePad, u, v, ci, cin);
    }

    /// <summary>
    /// Channels [ci, ci + 4) of <see cref="ToPhases{T}"/>: for 8 phase positions of a phase row, the 8 input rows (channel, s)
    /// each hold the pixel pairs (t = 0, 1) of those positions side by side, so the regrouping is an 8×8 transpose of 64-bit pairs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ToPhasesByTranspose(in Conv2dGeometry g, in Plan plan, float* x, float* buffer, int ci)
    {
        int phasePad = plan.PhaseChannelsPadded, phaseWidth = plan.PhaseWidth, height = g.InHeight, width = g.InWidth;
        long plane = (long)height * width;
        var rows = stackalloc Vector512<double>[8];
        for (int u = 0; u < plan.PhaseHeight; u++)
            for (int v0 = 0; v0 < phaseWidth; v0 += 8)
            {
                int count = Math.Min(8, phaseWidth - v0), c0 = (2 * v0) - g.PadW;
                var mask = ColumnMask(c0, width, 2 * count);
                for (int j = 0; j < 8; j++)
                {
                    int r = (2 * u) - g.PadH + (j & 1);
                    rows[j] = (uint)r < (uint)height
                        ? Avx512F.MaskLoad(x + ((ci + (j >> 1)) * plane) + ((long)r * width) + c0, mask, Vector512<float>.Zero).AsDouble()
                        : Vector512<double>.Zero;
                }
                Transpose8x8(rows);
                float* target = buffer + ((((long)u * phaseWidth) + v0) * phasePad) + (4 * ci);
                for (int k = 0; k < count; k++) rows[k].AsSingle().Store(target + ((long)k * phasePad));
            }
    }

    /// <summary>Lanes ℓ &lt; <paramref name="lanes"/> whose column c0 + ℓ lies in [0, width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ColumnMask(int c0, int width, int lanes)
    {
        var indices = Vector512<int>.Indices;
        var inside = Vector512.LessThan((indices + Vector512.Create(c0)).AsUInt32(), Vector512.Create((uint)width)).AsInt32();
        return (inside & Vector512.LessThan(indices, Vector512.Create(lanes))).AsSingle();
    }

    /// <summary>rows[k][j] ↔ rows[j][k] for 8 vectors of 8 doubles (here: pairs of floats): unpack, then two rounds of two-source permutes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(Vector512<double>* rows)
    {
        var a0 = Avx512F.UnpackLow(rows[0], rows[1]);
        var a1 = Avx512F.UnpackHigh(rows[0], rows[1]);
        var a2 = Avx512F.UnpackLow(rows[2], rows[3]);
        var a3 = Avx512F.UnpackHigh(rows[2], rows[3]);
        var a4 = Avx512F.UnpackLow(rows[4], rows[5]);
        var a5 = Avx512F.UnpackHigh(rows[4], rows[5]);
        var a6 = Avx512F.UnpackLow(rows[6], rows[7]);
        var a7 = Avx512F.UnpackHigh(rows[6], rows[7]);
        var low2 = Vector512.Create(0L, 1, 8, 9, 4, 5, 12, 13);
        var high2 = Vector512.Create(2L, 3, 10, 11, 6, 7, 14, 15);
        var b0 = Avx512F.PermuteVar8x64x2(a0, low2, a2);
        var b2 = Avx512F.PermuteVar8x64x2(a0, high2, a2);
        var b1 = Avx512F.PermuteVar8x64x2(a1, low2, a3);
        var b3 = Avx512F.PermuteVar8x64x2(a1, high2, a3);
        var b4 = Avx512F.PermuteVar8x64x2(a4, low2, a6);
        var b6 = Avx512F.PermuteVar8x64x2(a4, high2, a6);
        var b5 = Avx512F.PermuteVar8x64x2(a5, low2, a7);
        var b7 = Avx512F.PermuteVar8x64x2(a5, high2, a7);
        var low4 = Vector512.Create(0L, 1, 2, 3, 8, 9, 10, 11);
        var high4 = Vector512.Create(4L, 5, 6, 7, 12, 13, 14, 15);
        rows[0] = Avx512F.PermuteVar8x64x2(b0, low4, b4);
        rows[4] = Avx512F.PermuteVar8x64x2(b0, high4, b4);
        rows[1] = Avx512F.PermuteVar8x64x2(b1, low4, b5);
        rows[5] = Avx512F.PermuteVar8x64x2(b1, high4, b5);
        rows[2] = Avx512F.PermuteVar8x64x2(b2, low4, b6);
        rows[6] = Avx512F.PermuteVar8x64x2(b2, high4, b6);
        rows[3] = Avx512F.PermuteVar8x64x2(b3, low4, b7);
        rows[7] = Avx512F.PermuteVar8x64x2(b3, high4, b7);
    }

    /// <summary>The four phases of channels [start, end) at phase position (u, v), where they fall inside the image (the rest stays zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PhasesAt<T>(in Conv2dGeometry g, T* x, T* target, int u, int v, int start, int end) where T : unmanaged, INumber<T>
    {
        long plane = (long)g.InHeight * g.InWidth;
        for (int phase = 0; phase < 4; phase++)
        {
            int r = (2 * u) - g.PadH + (phase >> 1), c = (2 * v) - g.PadW + (phase & 1);
            if ((uint)r >= (uint)g.InHeight || (uint)c >= (uint)g.InWidth) continue;
            T* source = x + ((long)r * g.InWidth) + c;
            for (int ci = start; ci < end; ci++) target[(4 * ci) + phase] = source[ci * plane];
        }
    }

    /// <summary>
    /// The adjoint of <see cref="ToPhases{T}"/>: dx[ci, r, c] = buffer[…] of the pixel's phase position (0 where no output reads
    /// it). float32 on AVX-512 regroups four channels at a time by <see cref="Transpose8x8"/> (it is its own inverse).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FromPhases<T>(in Conv2dGeometry g, in Plan plan, T* buffer, T* dx) where T : unmanaged, INumber<T>
    {
        int phasePad = plan.PhaseChannelsPadded, phaseWidth = plan.PhaseWidth, width = g.InWidth;
        int rows = Math.Clamp((2 * plan.PhaseHeight) - g.PadH, 0, g.InHeight), cols = Math.Clamp((2 * phaseWidth) - g.PadW, 0, width);
        long plane = (long)g.InHeight * width;
        int ci = 0;
        if (typeof(T) == typeof(float) && Avx512F.IsSupported)
        {
            // Pixels past the last phase position (read by no output) get no value from the transposes: clear them first.
            if (rows < g.InHeight || cols < width) new Span<T>(dx, checked((int)(g.InChannels & ~3) * (int)plane)).Clear();
            for (; ci + 4 <= g.InChannels; ci += 4) FromPhasesByTranspose(g, plan, (float*)buffer, (float*)dx, ci);
        }
        for (; ci < g.InChannels; ci++)
        {
            for (int r = 0; r < g.InHeight; r++)
            {
                T* row = dx + (ci * plane) + ((long)r * width);
                if (r >= rows)
                {
                    new Span<T>(row, width).Clear();
                    continue;
                }
                int padded = r + g.PadH;
                T* source = buffer + ((long)(padded >> 1) * phaseWidth * phasePad) + (4 * ci) + (2 * (padded & 1));
                for (int c = 0; c < cols; c++)
                {
                    int column = c + g.PadW;
                    row[c] = source[((long)(column >> 1) * phasePad) + (column & 1)];
                }
                for (int c = cols; c < width; c++) row[c] = T.Zero;
            }
        }
    }

    /// <summary>Channels [ci, ci + 4) of <see cref="FromPhases{T}"/>: the transpose of <see cref="ToPhasesByTranspose"/>, stored under the same column masks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FromPhasesByTranspose(in Conv2dGeometry g, in Plan plan, float* buffer, float* dx, int ci)
    {
        int phasePad = plan.PhaseChannelsPadded, phaseWidth = plan.PhaseWidth, height = g.InHeight, width = g.InWidth;
        long plane = (long)height * width;
        var rows = stackalloc Vector512<double>[8];
        for (int u = 0; u < plan.PhaseHeight; u++)
            for (int v0 = 0; v0 < phaseWidth; v0 += 8)
            {
                int count = Math.Min(8, phaseWidth - v0), c0 = (2 * v0) - g.PadW;
                float* source = buffer + ((((long)u * phaseWidth) + v0) * phasePad) + (4 * ci);
                for (int k = 0; k < 8; k++) rows[k] = k < count ? Vector512.Load(source + ((long)k * phasePad)).AsDouble() : Vector512<double>.Zero;
                Transpose8x8(rows);
                var mask = ColumnMask(c0, width, 2 * count);
                for (int j = 0; j < 8; j++)
                {
                    int r = (2 * u) - g.PadH + (j & 1);
                    if ((uint)r < (uint)height) Avx512F.MaskStore(dx + ((ci + (j >> 1)) * plane) + ((long)r * width) + c0, mask, rows[j].AsSingle());
                }
            }
    }

    /// <summary>V[ξ][tile][c'] = (Bᵀ d B)[ξ] for the 3×3 phase patch d of each tile of one sample, vectorised over c'.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformInput<T>(in Plan plan, T* buffer, T* transformed, int firstTile, int tiles) where T : unmanaged, INumber<T>
    {
        int phasePad = plan.PhaseChannelsPadded, lanes = Vector512<T>.Count;
        long pointStride = (long)tiles * phasePad, rowStride = (long)plan.PhaseWidth * phasePad;
        for (int th = 0; th < plan.TilesHigh; th++)
            for (int tw = 0; tw < plan.TilesWide; tw++)
            {
                T* patch = buffer + (2L * th * rowStride) + (2L * tw * phasePad);
                T* v = transformed + (((long)firstTile + (th * plan.TilesWide) + tw) * phasePad);
                for (int c = 0; c < phasePad; c += lanes)
                {
                    T* p = patch + c;
                    // Bᵀ down each patch column: (d0 − d1, d1, d2 − d1).
                    var d10 = Vector512.Load(p + rowStride);
                    var d11 = Vector512.Load(p + rowStride + phasePad);
                    var d12 = Vector512.Load(p + rowStride + (2 * phasePad));
                    var e00 = Vector512.Load(p) - d10;
                    var e01 = Vector512.Load(p + phasePad) - d11;
                    var e02 = Vector512.Load(p + (2 * phasePad)) - d12;
                    var e20 = Vector512.Load(p + (2 * rowStride)) - d10;
                    var e21 = Vector512.Load(p + (2 * rowStride) + phasePad) - d11;
                    var e22 = Vector512.Load(p + (2 * rowStride) + (2 * phasePad)) - d12;
                    // Bᵀ along each row.
                    T* o = v + c;
                    (e00 - e01).Store(o);
                    e01.Store(o + pointStride);
                    (e02 - e01).Store(o + (2 * pointStride));
                    (d10 - d11).Store(o + (3 * pointStride));
                    d11.Store(o + (4 * pointStride));
                    (d12 - d11).Store(o + (5 * pointStride));
                    (e20 - e21).Store(o + (6 * pointStride));
                    e21.Store(o + (7 * pointStride));
                    (e22 - e21).Store(o + (8 * pointStride));
                }
            }
    }

    /// <summary>
    /// The adjoint of <see cref="TransformInput{T}"/>: buffer[3×3 patch of each tile] += (B dV Bᵀ) with B e = (e0, e1 − e0 − e2, e2),
    /// vectorised over c' (neighbouring patches share an edge, so the sums add).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddInputGradient<T>(in Plan plan, T* transformed, int firstTile, int tiles, T* buffer) where T : unmanaged, INumber<T>
    {
        int phasePad = plan.PhaseChannelsPadded, lanes = Vector512<T>.Count;
        long pointStride = (long)tiles * phasePad, rowStride = (long)plan.PhaseWidth * phasePad;
        for (int th = 0; th < plan.TilesHigh; th++)
            for (int tw = 0; tw < plan.TilesWide; tw++)
            {
                T* patch = buffer + (2L * th * rowStride) + (2L * tw * phasePad);
                T* v = transformed + (((long)firstTile + (th * plan.TilesWide) + tw) * phasePad);
                for (int c = 0; c < phasePad; c += lanes)
                {
                    T* m = v + c;
                    // B along each row of dV (index β), then down each column (index α).
                    var r00 = Vector512.Load(m);
                    var r02 = Vector512.Load(m + (2 * pointStride));
                    var r01 = Vector512.Load(m + pointStride) - r00 - r02;
                    var r10 = Vector512.Load(m + (3 * pointStride));
                    var r12 = Vector512.Load(m + (5 * pointStride));
                    var r11 = Vector512.Load(m + (4 * pointStride)) - r10 - r12;
                    var r20 = Vector512.Load(m + (6 * pointStride));
                    var r22 = Vector512.Load(m + (8 * pointStride));
                    var r21 = Vector512.Load(m + (7 * pointStride)) - r20 - r22;
                    T* p = patch + c;
                    Add(p, r00);
                    Add(p + phasePad, r01);
                    Add(p + (2 * phasePad), r02);
                    Add(p + rowStride, r10 - r00 - r20);
                    Add(p + rowStride + phasePad, r11 - r01 - r21);
                    Add(p + rowStride + (2 * phasePad), r12 - r02 - r22);
                    Add(p + (2 * rowStride), r20);
                    Add(p + (2 * rowStride) + phasePad, r21);
                    Add(p + (2 * rowStride) + (2 * phasePad), r22);
                }
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add<T>(T* at, Vector512<T> value) where T : unmanaged, INumber<T> => (Vector512.Load(at) + value).Store(at);

    /// <summary>
    /// dy[co, oh, ow] → buffer[oh·(2·TilesWide) + ow][co], zero past the output (so partial tiles add nothing) and in the padded
    /// channels. float32 moves 8 channels of a pixel per AVX2 gather; the rest goes element by element.
    /// </summary>
    private static void GradientToChannelLast<T>(in Conv2dGeometry g, in Plan plan, T* dy, T* buffer) where T : unmanaged, INumber<T>
    {
        int coutPad = plan.OutChannelsPadded, width = plan.TilesWide * 2, outHeight = g.OutHeight, outWidth = g.OutWidth;
        if ((outHeight & 1) != 0 || (outWidth & 1) != 0 || coutPad != g.OutChannels)
            new Span<T>(buffer, checked(plan.TilesHigh * 2 * width * coutPad)).Clear();
        long plane = (long)outHeight * outWidth;
        int co = 0;
        if (typeof(T) == typeof(float) && Avx2.IsSupported && plane * 8 <= int.MaxValue)
        {
            var index = Vector256<int>.Indices * (int)plane;
            for (; co + 8 <= g.OutChannels; co += 8)
                for (int oh = 0; oh < outHeight; oh++)
                {
                    float* source = (float*)dy + (co * plane) + ((long)oh * outWidth);
                    float* target = (float*)buffer + ((long)oh * width * coutPad) + co;
                    for (int ow = 0; ow < outWidth; ow++) Avx2.GatherVector256(source + ow, index, 4).Store(target + ((long)ow * coutPad));
                }
        }
        for (; co < g.OutChannels; co++)
        {
            T* source = dy + (co * plane);
            for (int oh = 0; oh < outHeight; oh++)
            {
                T* row = source + ((long)oh * outWidth);
                T* target = buffer + ((long)oh * width * coutPad) + co;
                for (int ow = 0; ow < outWidth; ow++) target[(long)ow * coutPad] = row[ow];
            }
        }
    }

    /// <summary>P[ξ][tile][co] = (A dY Aᵀ)[ξ] for each 2×2 gradient tile dY of one sample, A y = (y0, y0 + y1, y1), vectorised over co.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformGradient<T>(in Plan plan, T* buffer, T* gradients, int firstTile, int tiles) where T : unmanaged, INumber<T>
    {
        int coutPad = plan.OutChannelsPadded, lanes = Vector512<T>.Count;
        long pointStride = (long)tiles * coutPad, rowStride = (long)plan.TilesWide * 2 * coutPad;
        for (int th = 0; th < plan.TilesHigh; th++)
            for (int tw = 0; tw < plan.TilesWide; tw++)
            {
                T* patch = buffer + (2L * th * rowStride) + (2L * tw * coutPad);
                T* o = gradients + (((long)firstTile + (th * plan.TilesWide) + tw) * coutPad);
                for (int co = 0; co < coutPad; co += lanes)
                {
                    T* p = patch + co;
                    var y00 = Vector512.Load(p);
                    var y01 = Vector512.Load(p + coutPad);
                    var y10 = Vector512.Load(p + rowStride);
                    var y11 = Vector512.Load(p + rowStride + coutPad);
                    var s0 = y00 + y10; // A down each column: (y0, y0 + y1, y1)
                    var s1 = y01 + y11;
                    T* q = o + co;
                    y00.Store(q);
                    (y00 + y01).Store(q + pointStride);
                    y01.Store(q + (2 * pointStride));
                    s0.Store(q + (3 * pointStride));
                    (s0 + s1).Store(q + (4 * pointStride));
                    s1.Store(q + (5 * pointStride));
                    y10.Store(q + (6 * pointStride));
                    (y10 + y11).Store(q + (7 * pointStride));
                    y11.Store(q + (8 * pointStride));
                }
            }
    }

    /// <summary>y[co, 2th + i, 2tw + j] = (Aᵀ M A)[i, j] + bias[co] for each tile of one sample, vectorised over co, then scattered to NCHW.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformOutput<T>(in Conv2dGeometry g, in Plan plan, T* products, int firstTile, int tiles, T* bias, T* y)
        where T : unmanaged, INumber<T>
    {
        int coutPad = plan.OutChannelsPadded, lanes = Vector512<T>.Count, outHeight = g.OutHeight, outWidth = g.OutWidth;
        long pointStride = (long)tiles * coutPad, outPlane = (long)outHeight * outWidth;
        T* result = stackalloc T[4 * Vector512<T>.Count];
        for (int th = 0; th < plan.TilesHigh; th++)
            for (int tw = 0; tw < plan.TilesWide; tw++)
            {
                int rows = Math.Min(2, outHeight - (2 * th)), cols = Math.Min(2, outWidth - (2 * tw));
                T* m = products + (((long)firstTile + (th * plan.TilesWide) + tw) * coutPad);
                for (int co = 0; co < g.OutChannels; co += lanes)
                {
                    T* q = m + co;
                    // Aᵀ down each column (m0 + m1, m1 + m2), then along each row.
                    var m10 = Vector512.Load(q + (3 * pointStride));
                    var m11 = Vector512.Load(q + (4 * pointStride));
                    var m12 = Vector512.Load(q + (5 * pointStride));
                    var a0 = Vector512.Load(q) + m10;
                    var a1 = Vector512.Load(q + pointStride) + m11;
                    var a2 = Vector512.Load(q + (2 * pointStride)) + m12;
                    var b0 = m10 + Vector512.Load(q + (6 * pointStride));
                    var b1 = m11 + Vector512.Load(q + (7 * pointStride));
                    var b2 = m12 + Vector512.Load(q + (8 * pointStride));
                    (a0 + a1).Store(result);
                    (a1 + a2).Store(result + lanes);
                    (b0 + b1).Store(result + (2 * lanes));
                    (b1 + b2).Store(result + (3 * lanes));
                    int valid = Math.Min(lanes, g.OutChannels - co);
                    for (int lane = 0; lane < valid; lane++)
                    {
                        T add = bias != null ? bias[co + lane] : T.Zero;
                        T* plane = y + ((co + lane) * outPlane) + (2L * th * outWidth) + (2 * tw);
                        for (int i = 0; i < rows; i++)
                            for (int j = 0; j < cols; j++) plane[(i * outWidth) + j] = result[(((i * 2) + j) * lanes) + lane] + add;
                    }
                }
            }
    }

    /// <summary>
    /// U[ξ][4ci + 2s + t][co] = (G g Gᵀ)[ξ] for the 2×2 kernel g[a, b] = w[co, ci, 2a + s, 2b + t], vectorised over co (each lane
    /// group's 16 taps copied to the stack first); padded rows and columns zero. Split over input channels between the threads
    /// (it runs on every call).
    /// </summary>
    private static void TransformFilter<T>(in Conv2dGeometry g, in Plan plan, T* weight, T* filter) where T : unmanaged, INumber<T>
    {
        int phasePad = plan.PhaseChannelsPadded, coutPad = plan.OutChannelsPadded, cin = g.InChannels, cout = g.OutChannels;
        long pointStride = (long)phasePad * coutPad;
        for (int point = 0; point < Points; point++)
            new Span<T>(filter + (point * pointStride) + ((long)4 * cin * coutPad), checked((phasePad - (4 * cin)) * coutPad)).Clear();
        WorkerPool.For(cin, 4, (start, end) =>
        {
            int lanes = Vector512<T>.Count;
            T* taps = stackalloc T[16 * Vector512<T>.Count]; // taps[tap·lanes + lane] = w[co + lane, ci, tap]
            for (int ci = start; ci < end; ci++)
                for (int co = 0; co < coutPad; co += lanes)
                {
                    int valid = Math.Clamp(cout - co, 0, lanes);
                    if (valid < lanes) new Span<T>(taps, 16 * lanes).Clear();
                    for (int lane = 0; lane < valid; lane++)
                    {
                        T* source = weight + ((((long)co + lane) * cin) + ci) * 16;
                        for (int tap = 0; tap < 16; tap++) taps[(tap * lanes) + lane] = source[tap];
                    }
                    for (int phase = 0; phase < 4; phase++)
                    {
                        T* k = taps + ((((phase >> 1) * 4) + (phase & 1)) * lanes); // w[2a + s, 2b + t] at tap 8a + 2b
                        var g00 = Vector512.Load(k);
                        var g01 = Vector512.Load(k + (2 * lanes));
                        var g10 = Vector512.Load(k + (8 * lanes));
                        var g11 = Vector512.Load(k + (10 * lanes));
                        var h0 = g00 + g10; // G down each column: (g0, g0 + g1, g1)
                        var h1 = g01 + g11;
                        T* u = filter + ((long)((4 * ci) + phase) * coutPad) + co;
                        g00.Store(u);
                        (g00 + g01).Store(u + pointStride);
                        g01.Store(u + (2 * pointStride));
                        h0.Store(u + (3 * pointStride));
                        (h0 + h1).Store(u + (4 * pointStride));
                        h1.Store(u + (5 * pointStride));
                        g10.Store(u + (6 * pointStride));
                        (g10 + g11).Store(u + (7 * pointStride));
                        g11.Store(u + (8 * pointStride));
                    }
                }
        });
    }

    /// <summary>
    /// <see cref="TransformFilter{T}"/> laid out transposed, U[ξ][co][4ci + 2s + t], for the input gradient's GEMMs (their B = U[ξ]ᵀ is
    /// then row-major, which the GEMM packs faster than a transposed operand); written in order, split over output channels.
    /// </summary>
    private static void TransformFilterTransposed<T>(in Conv2dGeometry g, in Plan plan, T* weight, T* filter) where T : unmanaged, INumber<T>
    {
        int phasePad = plan.PhaseChannelsPadded, cin = g.InChannels, cout = g.OutChannels;
        long pointStride = (long)phasePad * plan.OutChannelsPadded;
        WorkerPool.For(plan.OutChannelsPadded, 8, (start, end) =>
        {
            for (int co = start; co < end; co++)
            {
                T* u = filter + ((long)co * phasePad);
                int written = co < cout ? 4 * cin : 0;
                for (int point = 0; point < Points; point++)
                    new Span<T>(u + (point * pointStride) + written, phasePad - written).Clear();
                int ci = 0;
                if (typeof(T) == typeof(float) && Avx512F.IsSupported)
                    for (; ci + 4 <= written / 4; ci += 4) TransposedFilterOfFourChannels((float*)weight + ((((long)co * cin) + ci) * 16), (float*)u + (4 * ci), pointStride);
                for (; ci < written / 4; ci++)
                {
                    T* w = weight + ((((long)co * cin) + ci) * 16);
                    for (int phase = 0; phase < 4; phase++)
                    {
                        T* k = w + ((phase >> 1) * 4) + (phase & 1); // w[2a + s, 2b + t] at tap 8a + 2b
                        T g00 = k[0], g01 = k[2], g10 = k[8], g11 = k[10];
                        T h0 = g00 + g10, h1 = g01 + g11;
                        T* target = u + (4 * ci) + phase;
                        target[0] = g00;
                        target[pointStride] = g00 + g01;
                        target[2 * pointStride] = g01;
                        target[3 * pointStride] = h0;
                        target[4 * pointStride] = h0 + h1;
                        target[5 * pointStride] = h1;
                        target[6 * pointStride] = g10;
                        target[7 * pointStride] = g10 + g11;
                        target[8 * pointStride] = g11;
                    }
                }
            }
        });
    }

    /// <summary>
    /// U[ξ][co][4ci + q·4 + 2s + t] for the four channels ci + q whose 64 taps start at <paramref name="weight"/>: each of the four
    /// kernel taps g_ab (tap 8a + 2b + 4s + t) gathered over the 16 lanes (q, s, t) by two two-source permutes and a blend.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposedFilterOfFourChannels(float* weight, float* u, long pointStride)
    {
        var w0 = Vector512.Load(weight);
        var w1 = Vector512.Load(weight + 16);
        var w2 = Vector512.Load(weight + 32);
        var w3 = Vector512.Load(weight + 48);
        // Lane L = 4q + 2s + t reads element ((q mod 2)·16 + 4s + t) of the pair (w0, w1) for q < 2, of (w2, w3) for q ≥ 2.
        var lanes = Vector512<int>.Indices;
        var index = (((lanes >>> 2) & Vector512<int>.One) * 16) + (((lanes >>> 1) & Vector512<int>.One) * 4) + (lanes & Vector512<int>.One);
        var firstHalf = Vector512.LessThan(lanes, Vector512.Create(8)).AsSingle();
        Vector512<float> Tap(int offset)
        {
            var at = index + Vector512.Create(offset);
            return Vector512.ConditionalSelect(firstHalf, Avx512F.PermuteVar16x32x2(w0, at, w1), Avx512F.PermuteVar16x32x2(w2, at, w3));
        }
        var g00 = Tap(0);
        var g01 = Tap(2);
        var g10 = Tap(8);
        var g11 = Tap(10);
        var h0 = g00 + g10; // G down each column: (g0, g0 + g1, g1)
        var h1 = g01 + g11;
        g00.Store(u);
        (g00 + g01).Store(u + pointStride);
        g01.Store(u + (2 * pointStride));
        h0.Store(u + (3 * pointStride));
        (h0 + h1).Store(u + (4 * pointStride));
        h1.Store(u + (5 * pointStride));
        g10.Store(u + (6 * pointStride));
        (g10 + g11).Store(u + (7 * pointStride));
        g11.Store(u + (8 * pointStride));
    }

    /// <summary>gradWeight[co, ci, 2a + s, 2b + t] = (Gᵀ dU G)[a, b] of the sums dU[ξ][co][4ci + 2s + t], for co in [start, end).</summary>
    private static void TransformWeightGradient<T>(in Conv2dGeometry g, in Plan plan, T* sums, T* gradWeight, int start, int end)
        where T : unmanaged, INumber<T>
    {
        int phasePad = plan.PhaseChannelsPadded, cin = g.InChannels;
        long pointStride = (long)phasePad * plan.OutChannelsPadded;
        for (int co = start; co < end; co++)
        {
            int ci = 0;
            if (typeof(T) == typeof(float) && Avx512F.IsSupported)
                for (; ci + 4 <= cin; ci += 4)
                    WeightGradientOfFourChannels((float*)sums + ((long)co * phasePad) + (4 * ci), pointStride, (float*)gradWeight + ((((long)co * cin) + ci) * 16));
            for (; ci < cin; ci++)
                for (int phase = 0; phase < 4; phase++)
                {
                    T* u = sums + ((long)co * phasePad) + (4 * ci) + phase;
                    T u0 = u[0], u1 = u[pointStride], u2 = u[2 * pointStride];
                    T u3 = u[3 * pointStride], u4 = u[4 * pointStride], u5 = u[5 * pointStride];
                    T u6 = u[6 * pointStride], u7 = u[7 * pointStride], u8 = u[8 * pointStride];
                    T r00 = u0 + u3, r01 = u1 + u4, r02 = u2 + u5; // Gᵀ down each column: (u0 + u1, u1 + u2)
                    T r10 = u3 + u6, r11 = u4 + u7, r12 = u5 + u8;
                    T* w = gradWeight + ((((long)co * cin) + ci) * 16) + ((phase >> 1) * 4) + (phase & 1);
                    w[0] = r00 + r01;
                    w[2] = r01 + r02;
                    w[8] = r10 + r11;
                    w[10] = r11 + r12;
                }
        }
    }

    /// <summary>
    /// The 64 weight-gradient taps of four channels from their 16 phase channels' sums (lanes 4q + 2s + t of each point ξ):
    /// Gᵀ dU G on whole vectors, then tap 8a + 4s + 2b + t of channel q drawn from lane 4q + 2s + t of dg_ab by permutes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightGradientOfFourChannels(float* sums, long pointStride, float* gradWeight)
    {
        var u0 = Vector512.Load(sums);
        var u1 = Vector512.Load(sums + pointStride);
        var u2 = Vector512.Load(sums + (2 * pointStride));
        var u3 = Vector512.Load(sums + (3 * pointStride));
        var u4 = Vector512.Load(sums + (4 * pointStride));
        var u5 = Vector512.Load(sums + (5 * pointStride));
        var u6 = Vector512.Load(sums + (6 * pointStride));
        var u7 = Vector512.Load(sums + (7 * pointStride));
        var u8 = Vector512.Load(sums + (8 * pointStride));
        var r01 = u1 + u4;
        var r11 = u4 + u7;
        var g00 = u0 + u3 + r01;
        var g01 = r01 + u2 + u5;
        var g10 = u3 + u6 + r11;
        var g11 = r11 + u5 + u8;
        // Tap τ of channel q (τ mod 8 = 4s + 2b + t) reads lane 4q + 2s + t of dg_{a0} (b = 0) or dg_{a1} (b = 1): index b·16 + 4q + 2s + t.
        var taps = Vector512<int>.Indices;
        var pattern = (((taps >>> 1) & Vector512<int>.One) * 16) + (((taps >>> 2) & Vector512<int>.One) * 2) + (taps & Vector512<int>.One);
        var firstHalf = Vector512.LessThan(taps, Vector512.Create(8)).AsSingle();
        for (int q = 0; q < 4; q++)
        {
            var index = pattern + Vector512.Create(4 * q);
            Vector512.ConditionalSelect(firstHalf, Avx512F.PermuteVar16x32x2(g00, index, g01), Avx512F.PermuteVar16x32x2(g10, index, g11))
                .Store(gradWeight + (16 * q));
        }
    }

    /// <summary>Sizes shared by every block of one call.</summary>
    private readonly struct Plan
    {
        public readonly int TilesHigh, TilesWide, PhaseHeight, PhaseWidth, SamplesPerBlock, Blocks, PhaseChannelsPadded, OutChannelsPadded;

        public Plan(in Conv2dGeometry g, int lanes)
        {
            TilesHigh = (g.OutHeight + 1) / 2;
            TilesWide = (g.OutWidth + 1) / 2;
            // A tile's 3×3 patch starts at phase position (2th, 2tw): the last one ends at 2·Tiles.
            PhaseHeight = (2 * TilesHigh) + 1;
            PhaseWidth = (2 * TilesWide) + 1;
            int tiles = TilesHigh * TilesWide;
            // Enough samples per block for ~TargetTiles GEMM rows, but at least 2 blocks per thread where the batch allows.
            int wanted = (TargetTiles + tiles - 1) / tiles;
            int balanced = Math.Max(1, g.Batch / (2 * WorkerPool.ThreadCount));
            SamplesPerBlock = Math.Max(1, Math.Min(Math.Min(wanted, balanced), g.Batch));
            Blocks = (g.Batch + SamplesPerBlock - 1) / SamplesPerBlock;
            PhaseChannelsPadded = ((4 * g.InChannels) + lanes - 1) / lanes * lanes;
            OutChannelsPadded = (g.OutChannels + lanes - 1) / lanes * lanes;
        }

        public int TilesPerSample => TilesHigh * TilesWide;

        /// <summary>Elements of one channel-last sample buffer: the phase images or the tiled output gradient, whichever is larger.</summary>
        public long ChannelLastSize => Math.Max((long)PhaseHeight * PhaseWidth * PhaseChannelsPadded, (long)TilesHigh * TilesWide * 4 * OutChannelsPadded);
    }

    private static void MatMul<T>(int m, int n, int k, T* a, long aRowStride, long aColStride, T* b, long bRowStride, long bColStride, T* c, long ldc, bool accumulate)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            Gemm.Sgemm(m, n, k, (float*)a, aRowStride, aColStride, (float*)b, bRowStride, bColStride, (float*)c, ldc, accumulate);
        else
            Gemm.Dgemm(m, n, k, (double*)a, aRowStride, aColStride, (double*)b, bRowStride, bColStride, (double*)c, ldc, accumulate);
    }
}
