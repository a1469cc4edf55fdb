using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

/// <summary>
/// 3×3 stride-1 convolution by Winograd's minimal filtering F(4×4, 3×3) (Lavin &amp; Gray, "Fast
/// Algorithms for Convolutional Neural Networks", 2016): each 4×4 output tile is
/// Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d Bᵀᵀ)]A for the 6×6 input patch d, so the channel sums cost 36 multiplies per
/// 16 outputs instead of 144. The sums over input channels become 36 independent GEMMs
/// M[ξ] (tiles × Cout) = V[ξ] (tiles × Cin) · U[ξ] (Cin × Cout), one per transform point ξ.
/// <para>
/// Transforms are vectorised across channels: the input is regrouped channel-last with a zero border
/// (so patches never leave the buffer), V and M keep channels innermost, and the output transform
/// scatters each tile back to NCHW. The input gradient of a 3×3 stride-1 convolution with padding p is
/// the same computation on gradOutput with the weights transposed and flipped and padding 2 − p.
/// The interpolation points 0, ±1, ±2 keep the float32 error near 1e-6 of the output's scale for
/// these channel counts (tested against the direct path).
/// </para>
/// </summary>
internal static unsafe class Winograd
{
    private const int Tile = 4;     // outputs per tile side (m)
    private const int Patch = 6;    // m + r − 1
    private const int Points = 36;  // Patch²
    private const int TargetTiles = 96; // GEMM rows per block: enough for the micro-kernel, small enough for L2
    private const int SharedTargetTiles = 256; // GEMM rows per block of small images shared by all threads (see Plan)

    /// <summary>
    /// Whether <see cref="Forward{T}"/> handles this convolution: a non-empty batch, 3×3, stride 1, dilation 1, one group,
    /// padding ≤ 2 (≥ 0 for the adjoint), enough channels on both sides for the GEMMs to pay, AVX-512 present, and
    /// outputs that fill most of their 4×4 tiles (<see cref="MinTileUse"/>).
    /// </summary>
    public static bool Applies(in Conv2dGeometry g) =>
        Vector512.IsHardwareAccelerated && g.Batch > 0 && g.KernelHeight == 3 && g.KernelWidth == 3 && g.StrideH == 1 && g.StrideW == 1 &&
        g.DilationH == 1 && g.DilationW == 1 && g.Groups == 1 && g.PadH <= 2 && g.PadW <= 2 &&
        g.InChannels >= 16 && g.OutChannels >= 16 && g.OutHeight >= 2 && g.OutWidth >= 2 &&
        TileUse(g) >= MinTileUse && TransformedSampleElements(g) <= MaxTransformedSampleElements;

    /// <summary>
    /// The least fraction of the tiles' 4×4 outputs that must be real outputs. A 3×3 image (ResNet-18's last stage at
    /// 96 px) fills 9 of 16 and a 6×6 one 36 of 64 (0.56): there the wasted outputs eat Winograd's saving and im2col is
    /// as fast or faster; 9×11 (0.69), 7×7 (0.77) and anything from 8×8 on take Winograd (bench <c>conv</c> with
    /// <c>NABLA_CONV_WINOGRAD=0</c> against the default; figures in bench/README.md).
    /// </summary>
    private const double MinTileUse = 0.6;

    private static double TileUse(in Conv2dGeometry g) =>
        (double)g.OutHeight * g.OutWidth / (((g.OutHeight + Tile - 1) / Tile) * Tile * ((g.OutWidth + Tile - 1) / Tile) * Tile);

    /// <summary>
    /// A block holds at least one whole sample in the transformed domain (36 points × tiles × channels);
    /// beyond ~16 MB of float32 (very large images) the im2col path, which works in bands of rows, is used instead.
    /// </summary>
    private const long MaxTransformedSampleElements = 4L << 20;

    private static long TransformedSampleElements(in Conv2dGeometry g) =>
        (long)Points * ((g.OutHeight + Tile - 1) / Tile) * ((g.OutWidth + Tile - 1) / Tile) * Math.Max(g.InChannels, g.OutChannels);

    /// <summary>
    /// Whether a call to <see cref="Forward{T}"/> (the forward pass or the input gradient) has enough tiles in all
    /// (<see cref="MinForwardTiles"/>) to pay for transforming the whole filter on every call: one 7×7 image has 4
    /// tiles, and its 36 GEMMs of 4 rows each repack the 512 × 512 transformed filter (ResNet-18's last stage at
    /// 224 px, batch 1: ~5× slower than im2col; bench <c>onnx-resnet18</c>).
    /// </summary>
    public static bool PaysForward(in Conv2dGeometry g) =>
        (long)g.Batch * ((g.OutHeight + Tile - 1) / Tile) * ((g.OutWidth + Tile - 1) / Tile) >= MinForwardTiles;

    /// <summary>Fewest tiles per call for <see cref="PaysForward"/>: 14×14 images (16 tiles) lost at batch 1, 28×28 (49) won.</summary>
    private const int MinForwardTiles = 32;

    /// <summary>The convolution whose forward pass is the input gradient of <paramref name="g"/> (weights transposed and flipped).</summary>
    public static Conv2dGeometry Adjoint(in Conv2dGeometry g) =>
        new(g.Batch, g.OutChannels, g.OutHeight, g.OutWidth, g.InChannels, 3, 3, 1, 1, 2 - g.PadH, 2 - g.PadW);

    /// <summary>
    /// output = conv2d(input, weight) + bias for a geometry where <see cref="Applies"/>. With
    /// <paramref name="transposedFlipped"/>, weight is the [g.InChannels, g.OutChannels, 3, 3] tensor of the
    /// convolution this one is the adjoint of, read as w[co, ci, i, j] = weight[ci, co, 2 − i, 2 − j].
    /// </summary>
    public static void Forward<T>(Conv2dGeometry g, T* input, T* weight, bool transposedFlipped, T* bias, T* output)
        where T : unmanaged, INumber<T>
    {
        Debug.Assert(Applies(g) || (transposedFlipped && g.PadH >= 0 && g.PadW >= 0));
        var plan = new Plan(g, Vector512<T>.Count, sharedBlocks: true);
        T* filter = ScratchBuffers.Get<T>(ScratchSlot.Filter, (long)Points * plan.InChannelsPadded * plan.OutChannelsPadded);
        TransformFilter(g, plan, weight, transposedFlipped, filter);
        Run(g, plan, input, filter, new Epilogue<T>(bias, null, false), output);
    }

    /// <summary>
    /// The inference form of <see cref="Forward{T}"/> (float32): output = conv2d(input, weight) + bias (+ residual), then
    /// ReLU when <paramref name="relu"/>, the residual and the ReLU applied as each tile is scattered back to NCHW (no
    /// extra pass over the output). The transformed filter of <paramref name="weight"/> is kept (<see cref="FilterCache"/>)
    /// and reused while its storage's version, the view's offset and the channel counts stay the same: weights that do not
    /// change between calls (inference) skip the filter transform, which for ResNet-18's last stage writes 38 MB per call.
    /// </summary>
    /// <param name="g">A geometry where <see cref="Applies"/>.</param>
    /// <param name="input">[N, Cin, H, W], contiguous.</param>
    /// <param name="weight">The contiguous [Cout, Cin, 3, 3] weight (its storage is the cache key).</param>
    /// <param name="bias">[Cout], or null.</param>
    /// <param name="residual">[N, Cout, Hout, Wout] added to the output, or null.</param>
    /// <param name="relu">Whether to apply ReLU last.</param>
    /// <param name="output">[N, Cout, Hout, Wout].</param>
    public static void ForwardInference(Conv2dGeometry g, float* input, Tensor weight, float* bias, float* residual, bool relu, float* output)
    {
        Debug.Assert(Applies(g) && weight.IsContiguous && weight.DType == DType.Float32);
        var plan = new Plan(g, Vector512<float>.Count, sharedBlocks: true);
        float[] filter = CachedFilter(g, plan, weight);
        fixed (float* f = filter) Run(g, plan, input, f, new Epilogue<float>(bias, residual, relu), output);
    }

    /// <summary>
    /// Transformed filters of inference weights by weight storage (weakly: an entry goes with its storage). An entry records
    /// the storage version and view offset it was made from; any in-place write to the weights (optimizer step, state-dict
    /// load, <c>Copy_</c>) bumps the version and so makes the next call transform them again.
    /// </summary>
    private static readonly ConditionalWeakTable<Storage, TransformedFilter> FilterCache = new();

    /// <summary>One cached transformed filter and what it was made from.</summary>
    private sealed record TransformedFilter(int Version, int Offset, int InChannels, int OutChannels, float[] Data);

    /// <summary>The transformed filter of <paramref name="weight"/>, from <see cref="FilterCache"/> or made now and cached.</summary>
    private static float[] CachedFilter(in Conv2dGeometry g, in Plan plan, Tensor weight)
    {
        var storage = weight.storage;
        if (FilterCache.TryGetValue(storage, out var cached) && cached.Version == storage.Version && cached.Offset == weight.offset &&
            cached.InChannels == g.InChannels && cached.OutChannels == g.OutChannels)
            return cached.Data;
        var data = GC.AllocateUninitializedArray<float>(checked(Points * plan.InChannelsPadded * plan.OutChannelsPadded));
        fixed (float* w = (float[])storage.Data, f = data) TransformFilter(g, plan, w + weight.offset, transposedFlipped: false, f);
        FilterCache.AddOrUpdate(storage, new TransformedFilter(storage.Version, weight.offset, g.InChannels, g.OutChannels, data));
        return data;
    }

    /// <summary>What the output transform adds to each output before storing it: bias[co], residual[n, co, h, w] (either may be null), then ReLU.</summary>
    private readonly struct Epilogue<T>(T* bias, T* residual, bool relu) where T : unmanaged
    {
        public readonly T* Bias = bias, Residual = residual;
        public readonly bool Relu = relu;
    }

    /// <summary>The input transform, the 36 GEMMs against the transformed <paramref name="filter"/> and the output transform, over every block of samples.</summary>
    private static void Run<T>(Conv2dGeometry g, Plan plan, T* input, T* filter, Epilogue<T> epilogue, T* output) where T : unmanaged, INumber<T>
    {
        if (plan.Shared)
        {
            // Fewer blocks than threads (one image), or small images batched into large blocks: the threads share each block's steps.
            for (int block = 0; block < plan.Blocks; block++) ForwardBlock(g, plan, block, input, filter, epilogue, output, shared: true);
            return;
        }
        var next = new StrongBox<int>(0);
        int participants = Math.Min(WorkerPool.ThreadCount, plan.Blocks);
        WorkerPool.For(participants, 1, (start, end) =>
        {
            int block;
            while ((block = Interlocked.Increment(ref next.Value) - 1) < plan.Blocks)
                ForwardBlock(g, plan, block, input, filter, epilogue, output, shared: false);
        });
    }

    /// <summary>
    /// gradWeight = ∂L/∂w for a geometry where <see cref="Applies"/> (overwritten). The bilinear form
    /// L = Σ_ξ (A dY Aᵀ)[ξ] · (G w Gᵀ)[ξ] · (Bᵀ d B)[ξ] of each tile gives
    /// ∂L/∂w = Gᵀ [Σ_tiles (A dY Aᵀ) ⊙ (Bᵀ d B)] G: 36 GEMMs with the tiles as the long inner dimension,
    /// M[ξ] (Cout × Cin) += P[ξ]ᵀ · V[ξ], one output transform per weight at the end.
    /// </summary>
    public static void BackwardWeight<T>(Conv2dGeometry g, T* input, T* gradOutput, T* gradWeight) where T : unmanaged, INumber<T>
    {
        Debug.Assert(Applies(g));
        var plan = new Plan(g, Vector512<T>.Count);
        int parts = Math.Min(WorkerPool.ThreadCount, plan.Blocks);
        long size = (long)Points * plan.OutChannelsPadded * plan.InChannelsPadded;
        T* partials = ScratchBuffers.Get<T>(ScratchSlot.Reduction, parts * size);
        new Span<T>(partials, checked((int)(parts * size))).Clear();
        // Fixed block-to-partial assignment, so the summed gradient is the same on every run.
        Convolution.ForEachTaskInFixedOrder(plan.Blocks, (participant, block) =>
            WeightBlock(g, plan, block, input, gradOutput, partials + participant * size));
        for (int part = 1; part < parts; part++)
        {
            T* source = partials + part * size;
            for (long at = 0; at < size; at += Vector512<T>.Count)
                (Vector512.Load(partials + at) + Vector512.Load(source + at)).Store(partials + at);
        }
        TransformWeightGradient(g, plan, partials, gradWeight);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightBlock<T>(in Conv2dGeometry g, in Plan plan, int block, T* input, T* gradOutput, T* sums)
        where T : unmanaged, INumber<T>
    {
        int n0 = block * plan.SamplesPerBlock, count = Math.Min(plan.SamplesPerBlock, g.Batch - n0);
        int tiles = count * plan.TilesPerSample, cinPad = plan.InChannelsPadded, coutPad = plan.OutChannelsPadded;
        T* channelLast = ScratchBuffers.Get<T>(ScratchSlot.ChannelLast, plan.ChannelLastSize);
        T* transformed = ScratchBuffers.Get<T>(ScratchSlot.Columns, (long)Points * tiles * cinPad);
        T* gradients = ScratchBuffers.Get<T>(ScratchSlot.Staging, (long)Points * tiles * coutPad);
        for (int s = 0; s < count; s++)
        {
            ToChannelLast(g, plan, input + (long)(n0 + s) * g.InChannels * g.InHeight * g.InWidth, channelLast);
            TransformInput(plan, channelLast, transformed, s * plan.TilesPerSample, tiles);
            GradientToChannelLast(g, plan, gradOutput + (long)(n0 + s) * g.OutChannels * g.OutHeight * g.OutWidth, channelLast);
            TransformGradient(plan, channelLast, gradients, s * plan.TilesPerSample, tiles);
        }
        // M[ξ][co][ci] += Σ_t P[ξ][t][co] · V[ξ][t][ci]: A(co, t) = P[ξ][t·coutPad + co].
        for (int point = 0; point < Points; point++)
            MatMul(coutPad, cinPad, tiles,
                gradients + (long)point * tiles * coutPad, 1, coutPad,
                transformed + (long)point * tiles * cinPad, cinPad, 1,
                sums + (long)point * coutPad * cinPad, cinPad, accumulate: true);
    }

    /// <summary>dy[co, oh, ow] → buffer[oh·(4·TilesWide) + ow][co], zero beyond the output (so partial tiles add nothing).</summary>
    private static void GradientToChannelLast<T>(in Conv2dGeometry g, in Plan plan, T* dy, T* buffer) where T : unmanaged, INumber<T>
    {
        int coutPad = plan.OutChannelsPadded, width = plan.TilesWide * Tile;
        new Span<T>(buffer, checked(plan.TilesHigh * Tile * width * coutPad)).Clear();
        long plane = (long)g.OutHeight * g.OutWidth;
        for (int co = 0; co < g.OutChannels; co++)
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                T* row = dy + co * plane + (long)oh * g.OutWidth;
                T* target = buffer + (long)oh * width * coutPad + co;
                for (int ow = 0; ow < g.OutWidth; ow++) target[(long)ow * coutPad] = row[ow];
            }
    }

    /// <summary>P[ξ][tile][co] = (A dY Aᵀ)[ξ] for each 4×4 gradient tile dY of one sample, vectorised over co.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformGradient<T>(in Plan plan, T* buffer, T* gradients, int firstTile, int tiles) where T : unmanaged, INumber<T>
    {
        int coutPad = plan.OutChannelsPadded, lanes = Vector512<T>.Count;
        long pointStride = (long)tiles * coutPad, rowStride = (long)plan.TilesWide * Tile * coutPad;
        Span<Vector512<T>> t = stackalloc Vector512<T>[Patch * Tile];
        Span<Vector512<T>> u = stackalloc Vector512<T>[Patch];
        for (int th = 0; th < plan.TilesHigh; th++)
            for (int tw = 0; tw < plan.TilesWide; tw++)
            {
                int tile = firstTile + th * plan.TilesWide + tw;
                T* block = buffer + (long)th * Tile * rowStride + (long)tw * Tile * coutPad;
                for (int co = 0; co < coutPad; co += lanes)
                {
                    // A down each of the 4 tile columns (4 → 6), then A along each of the 6 rows.
                    for (int col = 0; col < Tile; col++)
                    {
                        T* p = block + (long)col * coutPad + co;
                        GradientColumn(Vector512.Load(p), Vector512.Load(p + rowStride), Vector512.Load(p + 2 * rowStride), Vector512.Load(p + 3 * rowStride), t, col, Tile);
                    }
                    T* v = gradients + (long)tile * coutPad + co;
                    for (int row = 0; row < Patch; row++)
                    {
                        int r = row * Tile;
                        GradientColumn(t[r], t[r + 1], t[r + 2], t[r + 3], u, 0, 1);
                        for (int col = 0; col < Patch; col++) u[col].Store(v + (row * Patch + col) * pointStride);
                    }
                }
            }
    }

    /// <summary>(A y)[0..6) for y = (y0 … y3), A = (Aᵀ)ᵀ, written to result[offset + k·stride].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientColumn<T>(Vector512<T> y0, Vector512<T> y1, Vector512<T> y2, Vector512<T> y3, Span<Vector512<T>> result, int offset, int stride)
        where T : unmanaged, INumber<T>
    {
        T two = T.CreateChecked(2), four = T.CreateChecked(4), eight = T.CreateChecked(8);
        var even = y0 + y2;
        var odd = y1 + y3;
        var evenWide = y0 + y2 * four;
        var oddWide = y1 * two + y3 * eight;
        result[offset] = y0;
        result[offset + stride] = even + odd;            // y0 + y1 + y2 + y3
        result[offset + 2 * stride] = even - odd;        // y0 − y1 + y2 − y3
        result[offset + 3 * stride] = evenWide + oddWide; // y0 + 2y1 + 4y2 + 8y3
        result[offset + 4 * stride] = evenWide - oddWide; // y0 − 2y1 + 4y2 − 8y3
        result[offset + 5 * stride] = y3;
    }

    /// <summary>gradWeight[co, ci, i, j] = (Gᵀ M[co][ci] G)[i, j], vectorised over ci.</summary>
    private static void TransformWeightGradient<T>(in Conv2dGeometry g, in Plan plan, T* sums, T* gradWeight) where T : unmanaged, INumber<T>
    {
        int cinPad = plan.InChannelsPadded, coutPad = plan.OutChannelsPadded, lanes = Vector512<T>.Count, cin = g.InChannels;
        long pointStride = (long)coutPad * cinPad;
        T quarter = T.CreateChecked(0.25), sixth = T.CreateChecked(1.0 / 6), twelfth = T.CreateChecked(1.0 / 12), twentyFourth = T.CreateChecked(1.0 / 24);
        Span<Vector512<T>> t = stackalloc Vector512<T>[3 * Patch];
        Span<Vector512<T>> w = stackalloc Vector512<T>[3];
        T* result = stackalloc T[9 * Vector512<T>.Count];
        for (int co = 0; co < g.OutChannels; co++)
            for (int ci = 0; ci < cin; ci += lanes)
            {
                T* m = sums + (long)co * cinPad + ci;
                for (int col = 0; col < Patch; col++)
                    WeightColumn(Vector512.Load(m + col * pointStride), Vector512.Load(m + (Patch + col) * pointStride),
                        Vector512.Load(m + (2 * Patch + col) * pointStride), Vector512.Load(m + (3 * Patch + col) * pointStride),
                        Vector512.Load(m + (4 * Patch + col) * pointStride), Vector512.Load(m + (5 * Patch + col) * pointStride),
                        quarter, sixth, twelfth, twentyFourth, t, col, Patch);
                for (int i = 0; i < 3; i++)
                {
                    int r = i * Patch;
                    WeightColumn(t[r], t[r + 1], t[r + 2], t[r + 3], t[r + 4], t[r + 5], quarter, sixth, twelfth, twentyFourth, w, 0, 1);
                    for (int j = 0; j < 3; j++) w[j].Store(result + (i * 3 + j) * lanes);
                }
                int valid = Math.Min(lanes, cin - ci);
                for (int lane = 0; lane < valid; lane++)
                {
                    T* target = gradWeight + ((long)co * cin + ci + lane) * 9;
                    for (int tap = 0; tap < 9; tap++) target[tap] = result[tap * lanes + lane];
                }
            }
    }

    /// <summary>(Gᵀ m)[0..3) for m = (m0 … m5), written to result[offset + k·stride].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightColumn<T>(Vector512<T> m0, Vector512<T> m1, Vector512<T> m2, Vector512<T> m3, Vector512<T> m4, Vector512<T> m5,
        T quarter, T sixth, T twelfth, T twentyFourth, Span<Vector512<T>> result, int offset, int stride) where T : unmanaged, INumber<T>
    {
        var sum12 = m1 + m2;
        var diff21 = m2 - m1;
        var sum34 = m3 + m4;
        var diff34 = m3 - m4;
        result[offset] = m0 * quarter - sum12 * sixth + sum34 * twentyFourth;  // m0/4 − (m1 + m2)/6 + (m3 + m4)/24
        result[offset + stride] = diff21 * sixth + diff34 * twelfth;           // (m2 − m1)/6 + (m3 − m4)/12
        result[offset + 2 * stride] = (sum34 - sum12) * sixth + m5;            // (m3 + m4 − m1 − m2)/6 + m5
    }

    /// <summary>Sizes shared by every block of one call.</summary>
    private readonly struct Plan
    {
        public readonly int TilesHigh, TilesWide, SamplesPerBlock, Blocks, InChannelsPadded, OutChannelsPadded, PaddedHeight, PaddedWidth;

        /// <summary>Whether all threads work on each block together (see <see cref="ForwardBlock{T}"/>) rather than one block each.</summary>
        public readonly bool Shared;

        /// <param name="g">The convolution.</param>
        /// <param name="lanes">Elements per vector (channel padding).</param>
        /// <param name="sharedBlocks">
        /// Whether the caller can run a block on all threads (<see cref="Forward{T}"/>): then images under
        /// <see cref="TargetTiles"/> tiles are batched up to <see cref="SharedTargetTiles"/> tiles per block, so each of the
        /// 36 GEMMs packs its (large) transformed filter once per block of many rows, not once per few rows; and a batch with
        /// fewer blocks than threads (one image) shares its block too.
        /// </param>
        public Plan(in Conv2dGeometry g, int lanes, bool sharedBlocks = false)
        {
            TilesHigh = (g.OutHeight + Tile - 1) / Tile;
            TilesWide = (g.OutWidth + Tile - 1) / Tile;
            int tiles = TilesHigh * TilesWide;
            // Enough samples per block for ~TargetTiles GEMM rows, but at least ~4 blocks per thread for balance.
            int wanted = (TargetTiles + tiles - 1) / tiles;
            int balanced = Math.Max(1, g.Batch / (4 * WorkerPool.ThreadCount));
            SamplesPerBlock = Math.Max(1, Math.Min(Math.Min(wanted, balanced), g.Batch));
            Shared = false;
            if (sharedBlocks && WorkerPool.ThreadCount > 1)
            {
                if (tiles < TargetTiles)
                {
                    SamplesPerBlock = Math.Max(1, Math.Min((SharedTargetTiles + tiles - 1) / tiles, g.Batch));
                    Shared = true;
                }
                else if (g.Batch < WorkerPool.ThreadCount)
                    Shared = true;
            }
            Blocks = (g.Batch + SamplesPerBlock - 1) / SamplesPerBlock;
            InChannelsPadded = (g.InChannels + lanes - 1) / lanes * lanes;
            OutChannelsPadded = (g.OutChannels + lanes - 1) / lanes * lanes;
            PaddedHeight = TilesHigh * Tile + 2;
            PaddedWidth = TilesWide * Tile + 2;
        }

        public int TilesPerSample => TilesHigh * TilesWide;

        /// <summary>Elements of one channel-last sample buffer: the padded input or the tiled output gradient, whichever is larger.</summary>
        public long ChannelLastSize => Math.Max((long)PaddedHeight * PaddedWidth * InChannelsPadded, (long)TilesHigh * TilesWide * Tile * Tile * OutChannelsPadded);
    }

    /// <summary>
    /// U[ξ][ci][co] = (G w[co, ci] Gᵀ)[ξ], vectorised over co; padded channels are zero. Split over input channels
    /// between the threads: it runs on every call and, for ResNet-18's last stage (512 × 512 channels, 38 MB
    /// transformed), took most of a one-image convolution on one thread with the old scattered regrouping.
    /// </summary>
    private static void TransformFilter<T>(in Conv2dGeometry g, in Plan plan, T* weight, bool transposedFlipped, T* filter)
        where T : unmanaged, INumber<T>
    {
        var geometry = g;
        var sizes = plan;
        long work = (long)plan.InChannelsPadded * plan.OutChannelsPadded;
        WorkerPool.For(plan.InChannelsPadded, work >= 64 * 64 ? 1 : plan.InChannelsPadded,
            (start, end) => TransformFilterChannels(geometry, sizes, weight, transposedFlipped, filter, start, end));
    }

    /// <summary>The filter transform of input channels [start, end): each lane group's 3×3 taps gathered straight from the weights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformFilterChannels<T>(in Conv2dGeometry g, in Plan plan, T* weight, bool transposedFlipped, T* filter, int start, int end)
        where T : unmanaged, INumber<T>
    {
        int cin = g.InChannels, cout = g.OutChannels, cinPad = plan.InChannelsPadded, coutPad = plan.OutChannelsPadded;
        int lanes = Vector512<T>.Count;
        T quarter = T.CreateChecked(0.25), sixth = T.CreateChecked(1.0 / 6), twelfth = T.CreateChecked(1.0 / 12), twentyFourth = T.CreateChecked(1.0 / 24);
        Span<Vector512<T>> columns = stackalloc Vector512<T>[Patch * 3];
        Span<Vector512<T>> u = stackalloc Vector512<T>[Patch];
        T* taps = stackalloc T[9 * Vector512<T>.Count]; // taps[tap·lanes + lane] = w[co + lane, ci, tap]
        for (int ci = start; ci < end; ci++)
            for (int co = 0; co < coutPad; co += lanes)
            {
                int valid = ci < cin ? Math.Clamp(cout - co, 0, lanes) : 0;
                new Span<T>(taps, 9 * lanes).Clear();
                for (int lane = 0; lane < valid; lane++)
                {
                    if (transposedFlipped)
                    {
                        T* source = weight + ((long)ci * cout + co + lane) * 9;
                        for (int tap = 0; tap < 9; tap++) taps[tap * lanes + lane] = source[8 - tap];
                    }
                    else
                    {
                        T* source = weight + ((long)(co + lane) * cin + ci) * 9;
                        for (int tap = 0; tap < 9; tap++) taps[tap * lanes + lane] = source[tap];
                    }
                }
                // G applied down each of the 3 kernel columns: columns[ξr·3 + j].
                for (int j = 0; j < 3; j++)
                    FilterColumn(Vector512.Load(taps + j * lanes), Vector512.Load(taps + (3 + j) * lanes), Vector512.Load(taps + (6 + j) * lanes),
                        quarter, sixth, twelfth, twentyFourth, columns, j, 3);
                for (int row = 0; row < Patch; row++)
                {
                    FilterColumn(columns[row * 3], columns[row * 3 + 1], columns[row * 3 + 2], quarter, sixth, twelfth, twentyFourth, u, 0, 1);
                    for (int col = 0; col < Patch; col++)
                        u[col].Store(filter + ((long)(row * Patch + col) * cinPad + ci) * coutPad + co);
                }
            }
    }

    /// <summary>(G g)[0..6) for g = (g0, g1, g2), written to result[offset + k·stride].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FilterColumn<T>(Vector512<T> g0, Vector512<T> g1, Vector512<T> g2, T quarter, T sixth, T twelfth, T twentyFourth,
        Span<Vector512<T>> result, int offset, int stride) where T : unmanaged, INumber<T>
    {
        var even = (g0 + g2) * sixth;
        var odd = g1 * sixth;
        var evenSmall = g0 * twentyFourth + g2 * sixth;
        var oddSmall = g1 * twelfth;
        result[offset] = g0 * quarter;                        // g0/4
        result[offset + stride] = -(even + odd);              // −(g0 + g1 + g2)/6
        result[offset + 2 * stride] = odd - even;             // −(g0 − g1 + g2)/6
        result[offset + 3 * stride] = evenSmall + oddSmall;   // g0/24 + g1/12 + g2/6
        result[offset + 4 * stride] = evenSmall - oddSmall;   // g0/24 − g1/12 + g2/6
        result[offset + 5 * stride] = g2;
    }

    /// <summary>
    /// One block of samples through the input transform, the 36 GEMMs and the output transform. With
    /// <paramref name="shared"/> the calling thread and the workers split each step (channels, tile rows, points)
    /// instead of one thread doing the whole block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardBlock<T>(Conv2dGeometry g, Plan plan, int block, T* input, T* filter, Epilogue<T> epilogue, T* output, bool shared)
        where T : unmanaged, INumber<T>
    {
        int n0 = block * plan.SamplesPerBlock, count = Math.Min(plan.SamplesPerBlock, g.Batch - n0);
        int tiles = count * plan.TilesPerSample, cinPad = plan.InChannelsPadded, coutPad = plan.OutChannelsPadded;
        T* channelLast = ScratchBuffers.Get<T>(ScratchSlot.ChannelLast, plan.ChannelLastSize);
        T* transformed = ScratchBuffers.Get<T>(ScratchSlot.Columns, (long)Points * tiles * cinPad);
        T* products = ScratchBuffers.Get<T>(ScratchSlot.Staging, (long)Points * tiles * coutPad);
        int minChunk = shared ? 1 : int.MaxValue / 2; // int.MaxValue / 2: WorkerPool.For runs the whole range inline
        for (int s = 0; s < count; s++)
        {
            T* x = input + (long)(n0 + s) * g.InChannels * g.InHeight * g.InWidth;
            int firstTile = s * plan.TilesPerSample;
            new Span<T>(channelLast, checked(plan.PaddedHeight * plan.PaddedWidth * cinPad)).Clear();
            // Split by blocks of 16 channels, so that whole blocks go through the vectorised transpose.
            WorkerPool.For((g.InChannels + 15) / 16, minChunk, (b0, b1) => ToChannelLast(g, plan, x, channelLast, b0 * 16, Math.Min(g.InChannels, b1 * 16)));
            WorkerPool.For(plan.TilesHigh, minChunk, (th0, th1) => TransformInput(plan, channelLast, transformed, firstTile, tiles, th0, th1));
        }
        WorkerPool.For(Points, minChunk, (p0, p1) =>
        {
            for (int point = p0; point < p1; point++)
                MatMul(tiles, coutPad, cinPad,
                    transformed + (long)point * tiles * cinPad, cinPad, 1,
                    filter + (long)point * cinPad * coutPad, coutPad, 1,
                    products + (long)point * tiles * coutPad, coutPad);
        });
        for (int s = 0; s < count; s++)
        {
            long sampleOffset = (long)(n0 + s) * g.OutChannels * g.OutHeight * g.OutWidth;
            T* y = output + sampleOffset;
            var sampleEpilogue = new Epilogue<T>(epilogue.Bias, epilogue.Residual == null ? null : epilogue.Residual + sampleOffset, epilogue.Relu);
            int firstTile = s * plan.TilesPerSample;
            WorkerPool.For(plan.TilesHigh, minChunk, (th0, th1) => TransformOutput(g, plan, products, firstTile, tiles, sampleEpilogue, y, th0, th1));
        }
    }

    /// <summary>x[c, h, w] → buffer[(h + pad)·PaddedWidth + w + pad][c], zero elsewhere (border and padded channels).</summary>
    private static void ToChannelLast<T>(in Conv2dGeometry g, in Plan plan, T* x, T* buffer) where T : unmanaged, INumber<T>
    {
        new Span<T>(buffer, checked(plan.PaddedHeight * plan.PaddedWidth * plan.InChannelsPadded)).Clear();
        ToChannelLast(g, plan, x, buffer, 0, g.InChannels);
    }

    /// <summary>Channels [start, end) of <see cref="ToChannelLast{T}(in Conv2dGeometry, in Plan, T*, T*)"/> into an already zeroed buffer.</summary>
    private static void ToChannelLast<T>(in Conv2dGeometry g, in Plan plan, T* x, T* buffer, int start, int end) where T : unmanaged, INumber<T>
    {
        int cinPad = plan.InChannelsPadded, width = g.InWidth;
        long plane = (long)g.InHeight * width;
        int rows = Math.Min(g.InHeight, plan.PaddedHeight - g.PadH), cols = Math.Min(width, plan.PaddedWidth - g.PadW);
        if (typeof(T) == typeof(float) && Avx512F.IsSupported)
        {
            // Blocks of 16 channels × 16 pixels of a row: transposed in registers, one 16-channel store per pixel.
            Span<Vector512<float>> pixels = stackalloc Vector512<float>[16];
            float* block = stackalloc float[16 * 16];
            for (; start + 16 <= end; start += 16)
                for (int h = 0; h < rows; h++)
                {
                    float* source = (float*)x + start * plane + (long)h * width;
                    float* target = (float*)buffer + ((long)(h + g.PadH) * plan.PaddedWidth + g.PadW) * cinPad + start;
                    int w = 0;
                    for (; w + 16 <= cols; w += 16)
                    {
                        for (int k = 0; k < 16; k++) Vector512.Load(source + k * plane + w).Store(block + k * 16);
                        Transpose16(block, pixels);
                        for (int k = 0; k < 16; k++) pixels[k].Store(target + (long)(w + k) * cinPad);
                    }
                    for (; w < cols; w++)
                        for (int k = 0; k < 16; k++) target[(long)w * cinPad + k] = source[k * plane + w];
                }
        }
        for (int c = start; c < end; c++)
        {
            T* source = x + c * plane;
            for (int h = 0; h < rows; h++)
            {
                T* row = source + (long)h * width;
                T* target = buffer + ((long)(h + g.PadH) * plan.PaddedWidth + g.PadW) * cinPad + c;
                for (int w = 0; w < cols; w++) target[(long)w * cinPad] = row[w];
            }
        }
    }

    /// <summary>V[ξ][tile][c] = (Bᵀ d B)[ξ] for each 6×6 patch d of one sample, vectorised over c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformInput<T>(in Plan plan, T* buffer, T* transformed, int firstTile, int tiles) where T : unmanaged, INumber<T> =>
        TransformInput(plan, buffer, transformed, firstTile, tiles, 0, plan.TilesHigh);

    /// <summary>Tile rows [thStart, thEnd) of <see cref="TransformInput{T}(in Plan, T*, T*, int, int)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformInput<T>(in Plan plan, T* buffer, T* transformed, int firstTile, int tiles, int thStart, int thEnd) where T : unmanaged, INumber<T>
    {
        int cinPad = plan.InChannelsPadded, lanes = Vector512<T>.Count;
        long pointStride = (long)tiles * cinPad, rowStride = (long)plan.PaddedWidth * cinPad;
        Span<Vector512<T>> t = stackalloc Vector512<T>[Points];
        Span<Vector512<T>> u = stackalloc Vector512<T>[Patch];
        for (int th = thStart; th < thEnd; th++)
            for (int tw = 0; tw < plan.TilesWide; tw++)
            {
                int tile = firstTile + th * plan.TilesWide + tw;
                T* patch = buffer + (long)th * Tile * rowStride + (long)tw * Tile * cinPad;
                for (int c = 0; c < cinPad; c += lanes)
                {
                    // Bᵀ down each patch column, then Bᵀ along each resulting row.
                    for (int col = 0; col < Patch; col++)
                    {
                        T* p = patch + (long)col * cinPad + c;
                        InputColumn(Vector512.Load(p), Vector512.Load(p + rowStride), Vector512.Load(p + 2 * rowStride),
                            Vector512.Load(p + 3 * rowStride), Vector512.Load(p + 4 * rowStride), Vector512.Load(p + 5 * rowStride), t, col, Patch);
                    }
                    T* v = transformed + (long)tile * cinPad + c;
                    for (int row = 0; row < Patch; row++)
                    {
                        int r = row * Patch;
                        InputColumn(t[r], t[r + 1], t[r + 2], t[r + 3], t[r + 4], t[r + 5], u, 0, 1);
                        for (int col = 0; col < Patch; col++) u[col].Store(v + (r + col) * pointStride);
                    }
                }
            }
    }

    /// <summary>(Bᵀ d)[0..6) for d = (d0 … d5), written to result[offset + k·stride].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputColumn<T>(Vector512<T> d0, Vector512<T> d1, Vector512<T> d2, Vector512<T> d3, Vector512<T> d4, Vector512<T> d5,
        Span<Vector512<T>> result, int offset, int stride) where T : unmanaged, INumber<T>
    {
        T two = T.CreateChecked(2), four = T.CreateChecked(4), five = T.CreateChecked(5);
        var a = d4 - d2 * four;          // d4 − 4d2
        var b = d3 - d1 * four;          // d3 − 4d1
        var c = d4 - d2;                 // d4 − d2
        var e = (d3 - d1) * two;         // 2(d3 − d1)
        result[offset] = d0 * four - d2 * five + d4;        // 4d0 − 5d2 + d4
        result[offset + stride] = a + b;                     // −4d1 − 4d2 + d3 + d4
        result[offset + 2 * stride] = a - b;                 // 4d1 − 4d2 − d3 + d4
        result[offset + 3 * stride] = c + e;                 // −2d1 − d2 + 2d3 + d4
        result[offset + 4 * stride] = c - e;                 // 2d1 − d2 − 2d3 + d4
        result[offset + 5 * stride] = d1 * four - d3 * five + d5; // 4d1 − 5d3 + d5
    }

    /// <summary>
    /// y[co, 4th + i, 4tw + j] = (Aᵀ M A)[i, j] + bias[co] (+ residual[co, 4th + i, 4tw + j], then ReLU, as
    /// <paramref name="epilogue"/> says) for each tile in tile rows [thStart, thEnd) of one sample, vectorised over co.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformOutput<T>(in Conv2dGeometry g, in Plan plan, T* products, int firstTile, int tiles, Epilogue<T> epilogue, T* y, int thStart, int thEnd)
        where T : unmanaged, INumber<T>
    {
        int coutPad = plan.OutChannelsPadded, lanes = Vector512<T>.Count, outHeight = g.OutHeight, outWidth = g.OutWidth;
        long pointStride = (long)tiles * coutPad, outPlane = (long)outHeight * outWidth;
        Span<Vector512<T>> t = stackalloc Vector512<T>[Tile * Patch];
        T* result = stackalloc T[Tile * Tile * Vector512<T>.Count];
        Span<Vector512<T>> rowOut = stackalloc Vector512<T>[Tile];
        for (int th = thStart; th < thEnd; th++)
            for (int tw = 0; tw < plan.TilesWide; tw++)
            {
                int tile = firstTile + th * plan.TilesWide + tw;
                int rows = Math.Min(Tile, outHeight - th * Tile), cols = Math.Min(Tile, outWidth - tw * Tile);
                for (int co = 0; co < g.OutChannels; co += lanes)
                {
                    T* m = products + (long)tile * coutPad + co;
                    // Aᵀ down each of the 6 columns of M, then Aᵀ along each of the 4 resulting rows.
                    for (int col = 0; col < Patch; col++)
                        OutputColumn(Vector512.Load(m + col * pointStride), Vector512.Load(m + (Patch + col) * pointStride),
                            Vector512.Load(m + (2 * Patch + col) * pointStride), Vector512.Load(m + (3 * Patch + col) * pointStride),
                            Vector512.Load(m + (4 * Patch + col) * pointStride), Vector512.Load(m + (5 * Patch + col) * pointStride), t, col, Patch);
                    for (int i = 0; i < rows; i++)
                    {
                        int r = i * Patch;
                        OutputColumn(t[r], t[r + 1], t[r + 2], t[r + 3], t[r + 4], t[r + 5], rowOut, 0, 1);
                        for (int j = 0; j < cols; j++) rowOut[j].Store(result + (i * Tile + j) * lanes);
                    }
                    int valid = Math.Min(lanes, g.OutChannels - co);
                    if (epilogue.Bias != null)
                    {
                        // Bias (and the ReLU when there is no residual to add first) on whole vectors before the scatter.
                        var add = valid == lanes ? Vector512.Load(epilogue.Bias + co) : PartialVector(epilogue.Bias + co, valid);
                        bool reluHere = epilogue.Relu && epilogue.Residual == null;
                        for (int at = 0; at < rows * Tile * lanes; at += lanes)
                        {
                            var v = Vector512.Load(result + at) + add;
                            (reluHere ? Vector512.Max(v, Vector512<T>.Zero) : v).Store(result + at);
                        }
                    }
                    else if (epilogue.Relu && epilogue.Residual == null)
                        for (int at = 0; at < rows * Tile * lanes; at += lanes)
                            Vector512.Max(Vector512.Load(result + at), Vector512<T>.Zero).Store(result + at);
                    long tileOffset = (long)th * Tile * outWidth + tw * Tile;
                    if (typeof(T) == typeof(float) && rows == Tile && cols == Tile && Avx512F.IsSupported)
                    {
                        // A whole tile: transposed in registers to one vector of 16 outputs per channel, stored as 4 rows of 4.
                        StoreTile((float*)result, valid, (float*)y + co * outPlane + tileOffset,
                            epilogue.Residual == null ? null : (float*)epilogue.Residual + co * outPlane + tileOffset, epilogue.Relu, outPlane, outWidth);
                        continue;
                    }
                    if (epilogue.Residual == null)
                        for (int lane = 0; lane < valid; lane++)
                        {
                            T* plane = y + (co + lane) * outPlane + tileOffset;
                            for (int i = 0; i < rows; i++)
                                for (int j = 0; j < cols; j++) plane[i * outWidth + j] = result[(i * Tile + j) * lanes + lane];
                        }
                    else
                        for (int lane = 0; lane < valid; lane++)
                        {
                            long planeOffset = (co + lane) * outPlane + tileOffset;
                            T* plane = y + planeOffset, skip = epilogue.Residual + planeOffset;
                            for (int i = 0; i < rows; i++)
                                for (int j = 0; j < cols; j++)
                                {
                                    T v = result[(i * Tile + j) * lanes + lane] + skip[i * outWidth + j];
                                    plane[i * outWidth + j] = epilogue.Relu ? T.Max(v, T.Zero) : v;
                                }
                        }
                }
            }
    }

    /// <summary>
    /// One whole 4×4 tile of 16 channels: <paramref name="result"/>[pixel·16 + channel] (pixel = 4i + j, bias and — without a
    /// residual — ReLU already applied) → y[channel·plane + i·width + j] (+ residual, then ReLU), for the first
    /// <paramref name="valid"/> channels. The 16×16 block is transposed in registers (4 rounds of unpack/shuffle), so each
    /// channel is 4 stores of 4 floats instead of 16 scalar ones.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTile(float* result, int valid, float* y, float* skip, bool relu, long plane, int width)
    {
        Span<Vector512<float>> c = stackalloc Vector512<float>[16];
        Transpose16(result, c);
        for (int lane = 0; lane < valid; lane++)
        {
            var v = c[lane];
            float* target = y + lane * plane;
            if (skip != null)
            {
                float* s = skip + lane * plane;
                v += Vector512.Create(Vector256.Create(Vector128.Load(s), Vector128.Load(s + width)),
                    Vector256.Create(Vector128.Load(s + 2 * width), Vector128.Load(s + 3 * width)));
                if (relu) v = Vector512.Max(v, Vector512<float>.Zero);
            }
            var low = v.GetLower();
            var high = v.GetUpper();
            low.GetLower().Store(target);
            low.GetUpper().Store(target + width);
            high.GetLower().Store(target + 2 * width);
            high.GetUpper().Store(target + 3 * width);
        }
    }

    /// <summary>columns[k][p] = rows[p·16 + k]: the 16×16 float block at <paramref name="rows"/> transposed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16(float* rows, Span<Vector512<float>> columns)
    {
        Span<Vector512<float>> t = stackalloc Vector512<float>[16];
        for (int k = 0; k < 16; k += 2)
        {
            var a = Vector512.Load(rows + k * 16);
            var b = Vector512.Load(rows + (k + 1) * 16);
            t[k] = Avx512F.UnpackLow(a, b);
            t[k + 1] = Avx512F.UnpackHigh(a, b);
        }
        Span<Vector512<float>> u = stackalloc Vector512<float>[16];
        for (int k = 0; k < 16; k += 4)
        {
            u[k] = Avx512F.UnpackLow(t[k].AsDouble(), t[k + 2].AsDouble()).AsSingle();
            u[k + 1] = Avx512F.UnpackHigh(t[k].AsDouble(), t[k + 2].AsDouble()).AsSingle();
            u[k + 2] = Avx512F.UnpackLow(t[k + 1].AsDouble(), t[k + 3].AsDouble()).AsSingle();
            u[k + 3] = Avx512F.UnpackHigh(t[k + 1].AsDouble(), t[k + 3].AsDouble()).AsSingle();
        }
        for (int k = 0; k < 16; k += 8)
            for (int q = 0; q < 4; q++)
            {
                t[k + q] = Avx512F.Shuffle4x128(u[k + q], u[k + 4 + q], 0x88);
                t[k + 4 + q] = Avx512F.Shuffle4x128(u[k + q], u[k + 4 + q], 0xDD);
            }
        for (int q = 0; q < 8; q++)
        {
            columns[q] = Avx512F.Shuffle4x128(t[q], t[8 + q], 0x88);
            columns[8 + q] = Avx512F.Shuffle4x128(t[q], t[8 + q], 0xDD);
        }
    }

    /// <summary>The first <paramref name="count"/> elements at <paramref name="source"/>, zero in the other lanes.</summary>
    private static Vector512<T> PartialVector<T>(T* source, int count) where T : unmanaged, INumber<T>
    {
        var lanes = stackalloc T[Vector512<T>.Count];
        for (int lane = 0; lane < Vector512<T>.Count; lane++) lanes[lane] = lane < count ? source[lane] : T.Zero;
        return Vector512.Load(lanes);
    }

    /// <summary>(Aᵀ m)[0..4) for m = (m0 … m5), written to result[offset + k·stride].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputColumn<T>(Vector512<T> m0, Vector512<T> m1, Vector512<T> m2, Vector512<T> m3, Vector512<T> m4, Vector512<T> m5,
        Span<Vector512<T>> result, int offset, int stride) where T : unmanaged, INumber<T>
    {
        T two = T.CreateChecked(2), four = T.CreateChecked(4), eight = T.CreateChecked(8);
        var sum12 = m1 + m2;
        var diff12 = m1 - m2;
        var sum34 = m3 + m4;
        var diff34 = m3 - m4;
        result[offset] = m0 + sum12 + sum34;                   // m0 + m1 + m2 + m3 + m4
        result[offset + stride] = diff12 + diff34 * two;       // m1 − m2 + 2(m3 − m4)
        result[offset + 2 * stride] = sum12 + sum34 * four;    // m1 + m2 + 4(m3 + m4)
        result[offset + 3 * stride] = diff12 + diff34 * eight + m5; // m1 − m2 + 8(m3 − m4) + m5
    }

    private static void MatMul<T>(int m, int n, int k, T* a, long aRowStride, long aColStride, T* b, long bRowStride, long bColStride, T* c, long ldc, bool accumulate = false)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            Gemm.Sgemm(m, n, k, (float*)a, aRowStride, aColStride, (float*)b, bRowStride, bColStride, (float*)c, ldc, accumulate);
        else
            Gemm.Dgemm(m, n, k, (double*)a, aRowStride, aColStride, (double*)b, bRowStride, bColStride, (double*)c, ldc, accumulate);
    }
}
