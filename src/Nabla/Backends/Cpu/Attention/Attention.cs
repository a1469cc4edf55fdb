using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Where the rows of each head of one operand lie: head b (of <see cref="AttentionProblem.Heads"/> per batch entry) starts at
/// Offset + (b / heads)·BatchStride + (b % heads)·HeadStride, and its rows are RowStride apart, each contiguous. So Q, K and
/// V may be read straight from a [N, L, H, E] projection (heads interleaved) and outputs written in that layout.
/// </summary>
internal readonly record struct HeadBuffer(float[] Data, int Offset, long BatchStride, long HeadStride, long RowStride)
{
    /// <summary>Where head <paramref name="b"/> starts.</summary>
    public long Start(int b, int heads) => Offset + (b / heads) * BatchStride + (b % heads) * HeadStride;
}

/// <summary>
/// One attention problem for <see cref="Attention"/>: <see cref="Batch"/> independent heads, each with
/// queries Q [L, E], keys K [S, E], values V [S, Ev] (rows laid out as their <see cref="HeadBuffer"/> says),
/// an optional additive float mask, a causal flag, the score scale and dropout.
/// </summary>
internal sealed class AttentionProblem
{
    /// <summary>Number of independent (batch × head) problems.</summary>
    public required int Batch { get; init; }
    /// <summary>Queries per head, L.</summary>
    public required int Queries { get; init; }
    /// <summary>Keys (and values) per head, S.</summary>
    public required int Keys { get; init; }
    /// <summary>Features of a query and a key, E.</summary>
    public required int HeadDim { get; init; }
    /// <summary>Features of a value, Ev.</summary>
    public required int ValueDim { get; init; }
    /// <summary>Factor on Q Kᵀ.</summary>
    public required float Scale { get; init; }
    /// <summary>Key j is seen by query i only when j ≤ i (top-left aligned, as PyTorch's <c>is_causal</c>).</summary>
    public required bool Causal { get; init; }
    /// <summary>Heads per batch entry, for the <see cref="HeadBuffer"/> layouts (1 when the heads are just a batch).</summary>
    public int Heads { get; init; } = 1;
    /// <summary>Q, K and V.</summary>
    public required HeadBuffer Query { get; init; }
    /// <inheritdoc cref="Query"/>
    public required HeadBuffer Key { get; init; }
    /// <inheritdoc cref="Query"/>
    public required HeadBuffer Value { get; init; }
    /// <summary>Probability of dropping an attention weight (0: no dropout); the kept ones are scaled by 1/(1 − p).</summary>
    public float DropoutP { get; init; }
    /// <summary>The seed of the dropout decisions: weight (b, i, j) is kept when <see cref="Attention.Keeps"/> says so.</summary>
    public ulong DropoutSeed { get; init; }
    /// <summary>A number no other problem has, so that a thread can tell whose keys its scratch holds.</summary>
    public long Id { get; } = Interlocked.Increment(ref lastId);
    private static long lastId;
    /// <summary>Additive mask: head b reads the row-major [L, S] block at <see cref="MaskOffsets"/>[b]; null for none.</summary>
    public float[]? Mask { get; init; }
    /// <inheritdoc cref="Mask"/>
    public int[]? MaskOffsets { get; init; }
}

/// <summary>
/// Fused scaled dot-product attention for float32, O = softmax(Q Kᵀ·scale + mask) V, FlashAttention-style
/// (Dao et al. 2022; Dao 2023): each block of queries meets the keys one block at a time with an online softmax
/// (a running row maximum m and sum ℓ; the output block is rescaled by e^(m_old − m_new) when m grows), so the
/// [L, S] score matrix never exists; only one [<see cref="QueryBlock"/>, <see cref="KeyBlock"/>] tile of it at a
/// time, and the log-sum-exp of each row (m + ln ℓ) is kept for the backward. The backward recomputes each tile's
/// probabilities P = e^(s − lse) from it and forms dV += Pᵀ dO, dS = P ⊙ (dO Vᵀ − D) with D = rowsum(dO ⊙ O),
/// dQ += dS K·scale and dK += dSᵀ Q·scale. The small products run on <see cref="Gemm"/>; heads (and, in the
/// forward, query blocks) are spread over the <see cref="WorkerPool"/>. Causal tiles above the diagonal are
/// skipped. A row whose every key is masked gives output 0 and gradient 0 (PyTorch ≥ 2.5's safe softmax). Dropout on
/// the weights is decided by a hash of (seed, head, query, key) (<see cref="Keeps"/>), so the backward needs no mask.
/// </summary>
internal static unsafe class Attention
{
    /// <summary>
    /// Queries per tile. 32 rather than 64: the causal diagonal tiles waste half their work, and at s = 128 blocks of 32
    /// cover 10,240 query–key pairs against 12,288 (bench <c>attention</c>; figures in bench/README.md).
    /// </summary>
    private const int QueryBlock = 32;

    /// <summary>
    /// Keys per tile: a [32, 256] score tile (32 KiB) stays in L2, and sequences up to 256 need no online rescaling
    /// (64 was no faster; bench <c>attention</c>).
    /// </summary>
    private const int KeyBlock = 256;

    /// <summary>Multiply-adds below which a parallel chunk does not pay for its hand-off.</summary>
    private const long MinChunkWork = 1 << 18;

    [ThreadStatic] private static float[]? keysTransposed;
    [ThreadStatic] private static float[]? valuesTransposed;
    [ThreadStatic] private static long transposedProblem;
    [ThreadStatic] private static int transposedHead;
    [ThreadStatic] private static float[]? scoreTile;
    [ThreadStatic] private static float[]? gradientTile;
    [ThreadStatic] private static float[]? accumulator;
    [ThreadStatic] private static float[]? rowStatistics;

    private static float[] Scratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = GC.AllocateUninitializedArray<float>(Math.Max(length, 64), pinned: true);
        }

        return buffer;
    }

    /// <summary>The output (L rows of Ev per head, laid out as <paramref name="output"/> says) and logSumExp [Batch, L] (from 0) of <paramref name="problem"/>.</summary>
    public static void Forward(AttentionProblem problem, HeadBuffer output, float[] logSumExp)
    {
        int blocks = (problem.Queries + QueryBlock - 1) / QueryBlock;
        int items = problem.Batch * blocks;
        long workPerItem = (long)Math.Min(QueryBlock, problem.Queries) * problem.Keys * (problem.HeadDim + problem.ValueDim);
        int minChunk = (int)Math.Clamp(MinChunkWork / Math.Max(workPerItem, 1), 1, Math.Max(items, 1));
        WorkerPool.For(items, minChunk, (begin, end) =>
        {
            for (int item = begin; item < end; item++)
            {
                ForwardBlock(problem, item / blocks, item % blocks * QueryBlock, output, logSumExp);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardBlock(AttentionProblem p, int b, int i0, HeadBuffer output, float[] logSumExp)
    {
        int seqL = p.Queries, seqS = p.Keys, e = p.HeadDim, ev = p.ValueDim;
        int tq = Math.Min(QueryBlock, seqL - i0);
        int keyEnd = p.Causal ? Math.Min(seqS, i0 + tq) : seqS;
        var kt = Scratch(ref keysTransposed, e * seqS);
        var s = Scratch(ref scoreTile, QueryBlock * KeyBlock);
        var acc = Scratch(ref accumulator, QueryBlock * ev);
        var stats = Scratch(ref rowStatistics, 2 * QueryBlock);

        fixed (float* qBase = p.Query.Data, kBase = p.Key.Data, vBase = p.Value.Data, oBase = output.Data, lseBase = logSumExp)
        fixed (float* ktp = kt, sp = s, accp = acc, statp = stats)
        fixed (float* maskBase = p.Mask)
        {
            long ldq = p.Query.RowStride, ldk = p.Key.RowStride, ldv = p.Value.RowStride, ldo = output.RowStride;
            float* q = qBase + p.Query.Start(b, p.Heads) + i0 * ldq;
            float* k = kBase + p.Key.Start(b, p.Heads);
            float* v = vBase + p.Value.Start(b, p.Heads);
            float* mask = maskBase == null ? null : maskBase + p.MaskOffsets![b] + (long)i0 * seqS;
            float* rowMax = statp, rowSum = statp + QueryBlock;
            // Kᵀ once per head and thread: a thread's items are consecutive query blocks, mostly of one head.
            if (transposedProblem != p.Id || transposedHead != b)
            {
                Transpose(k, seqS, e, ldk, ktp, seqS);
                (transposedProblem, transposedHead) = (p.Id, b);
            }
            new Span<float>(accp, tq * ev).Clear();
            new Span<float>(rowMax, tq).Fill(float.NegativeInfinity);
            new Span<float>(rowSum, tq).Clear();

            for (int j0 = 0; j0 < keyEnd; j0 += KeyBlock)
            {
                int tk = Math.Min(KeyBlock, keyEnd - j0);
                Gemm.Sgemm(tq, tk, e, q, ldq, 1, ktp + j0, seqS, 1, sp, tk, accumulate: false);
                for (int r = 0; r < tq; r++)
                {
                    var row = new Span<float>(sp + r * tk, tk);
                    float scoreMax = Scores(sp + r * tk, tk, p.Scale, mask == null ? null : mask + (long)r * seqS + j0, Visible(p.Causal, i0 + r - j0, tk));
                    float newMax = Math.Max(rowMax[r], scoreMax);
                    if (float.IsNegativeInfinity(newMax))
                    {
                        row.Clear(); // every key so far is masked: nothing to add
                        continue;
                    }

                    float correction = MathF.Exp(rowMax[r] - newMax); // 0 while the row had no key yet
                    float sum = Exponential.ExpShifted(row, newMax, row);
                    if (p.DropoutP > 0) Drop(sp + r * tk, tk, p, b, i0 + r, j0); // the sum ℓ counts every weight, the output only the kept
                    rowSum[r] = rowSum[r] * correction + sum;
                    rowMax[r] = newMax;
                    if (correction != 1f)
                    {
                        var accRow = new Span<float>(accp + r * ev, ev);
                        TensorPrimitives.Multiply(accRow, correction, accRow);
                    }
                }

                Gemm.Sgemm(tq, ev, tk, sp, tk, 1, v + j0 * ldv, ldv, 1, accp, ev, accumulate: true);
            }

            float* o = oBase + output.Start(b, p.Heads) + i0 * ldo;
            float* lse = lseBase + (long)b * seqL + i0;
            for (int r = 0; r < tq; r++)
            {
                var target = new Span<float>(o + r * ldo, ev);
                if (rowSum[r] > 0)
                {
                    TensorPrimitives.Multiply(new ReadOnlySpan<float>(accp + r * ev, ev), 1f / rowSum[r], target);
                    lse[r] = rowMax[r] + MathF.Log(rowSum[r]);
                }
                else
                {
                    target.Clear();
                    lse[r] = float.PositiveInfinity; // e^(s − lse) = 0: the row gets no gradient
                }
            }
        }
    }

    /// <summary>Columns of a tile row that query may see: all <paramref name="columns"/>, or up to the causal diagonal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Visible(bool causal, int lastVisible, int columns) => causal ? Math.Clamp(lastVisible + 1, 0, columns) : columns;

    /// <summary>Whether the row loops use 512-bit vectors (the AVX-512 path); otherwise TensorPrimitives.</summary>
    private static readonly bool Wide = CpuFeatures.Active >= CpuIsa.Avx512 && Vector512.IsHardwareAccelerated && Exponential.Vectorized;

    /// <summary>
    /// One row of a score tile in place: s·scale (+ the mask row), −∞ from column <paramref name="visible"/> on (the causal
    /// diagonal); returns the row's maximum. One pass over the row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Scores(float* row, int n, float scale, float* maskRow, int visible)
    {
        if (!Wide)
        {
            var span = new Span<float>(row, n);
            TensorPrimitives.Multiply(span, scale, span);
            if (maskRow != null) TensorPrimitives.Add(span, new ReadOnlySpan<float>(maskRow, n), span);
            span[visible..].Fill(float.NegativeInfinity);
            return TensorPrimitives.Max(span);
        }

        var factor = Vector512.Create(scale);
        var hidden = Vector512.Create(float.NegativeInfinity);
        var max = hidden;
        int j = 0;
        for (; j + 16 <= n; j += 16)
        {
            var x = Vector512.Load(row + j) * factor;
            if (maskRow != null) x += Vector512.Load(maskRow + j);
            x = Vector512.ConditionalSelect(Vector512.LessThan(Vector512<int>.Indices + Vector512.Create(j), Vector512.Create(visible)).AsSingle(), x, hidden);
            x.Store(row + j);
            max = Vector512.Max(max, x);
        }

        var half = Vector256.Max(max.GetLower(), max.GetUpper());
        var quarter = Vector128.Max(half.GetLower(), half.GetUpper());
        float result = MathF.Max(MathF.Max(quarter[0], quarter[1]), MathF.Max(quarter[2], quarter[3]));
        for (; j < n; j++)
        {
            float x = j < visible ? row[j] * scale + (maskRow != null ? maskRow[j] : 0) : float.NegativeInfinity;
            row[j] = x;
            result = MathF.Max(result, x);
        }

        return result;
    }

    /// <summary>One row of a score tile in place: P = e^(s·scale (+ mask) − lse), 0 from column <paramref name="visible"/> on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Probabilities(float* row, int n, float scale, float* maskRow, int visible, float logSumExp)
    {
        if (!Wide)
        {
            Scores(row, n, scale, maskRow, visible);
            var span = new Span<float>(row, n);
            Exponential.ExpShifted(span, logSumExp, span);
            return;
        }

        var factor = Vector512.Create(scale);
        var shift = Vector512.Create(logSumExp);
        int j = 0;
        for (; j + 16 <= n; j += 16)
        {
            var x = Vector512.Load(row + j) * factor - shift;
            if (maskRow != null) x += Vector512.Load(maskRow + j);
            var p = Exponential.Exp(x);
            Vector512.ConditionalSelect(Vector512.LessThan(Vector512<int>.Indices + Vector512.Create(j), Vector512.Create(visible)).AsSingle(), p, Vector512<float>.Zero).Store(row + j);
        }

        for (; j < n; j++)
            row[j] = j < visible ? MathF.Exp(row[j] * scale + (maskRow != null ? maskRow[j] : 0) - logSumExp) : 0;
    }

    /// <summary>dS = P ⊙ (dP − D)·scale in place of dP, one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScoreGradients(float* gradient, float* probabilities, int n, float rowDot, float scale)
    {
        if (!Wide)
        {
            var span = new Span<float>(gradient, n);
            TensorPrimitives.Subtract(span, rowDot, span);
            TensorPrimitives.Multiply(span, new ReadOnlySpan<float>(probabilities, n), span);
            TensorPrimitives.Multiply(span, scale, span);
            return;
        }

        var d = Vector512.Create(rowDot);
        var factor = Vector512.Create(scale);
        int j = 0;
        for (; j + 16 <= n; j += 16)
            ((Vector512.Load(gradient + j) - d) * Vector512.Load(probabilities + j) * factor).Store(gradient + j);
        for (; j < n; j++)
            gradient[j] = (gradient[j] - rowDot) * probabilities[j] * scale;
    }

    /// <summary>
    /// Whether dropout keeps weight (b, i, j): a hash of the seed and the position (MurmurHash3's finaliser over a mix of
    /// the four), its top 24 bits read as u ∈ [0, 1), kept when u ≥ p. Counter-based, as FlashAttention's Philox: the
    /// backward regenerates the forward's decisions tile by tile, and no mask is stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Keeps(ulong seed, int b, int i, int j, float p) => Uniform(RowKey(seed, b, i), (uint)j) >= p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint RowKey(ulong seed, int b, int i) =>
        CounterHash.Key(seed) ^ (uint)b * 0x85EBCA77u ^ (uint)i * 0xC2B2AE3Du;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Uniform(uint rowKey, uint j) => CounterHash.Bits(rowKey, j) * (1f / (1 << 24));

    /// <summary>row[c] ← row[c]·keep/(1 − p) for the weights (b, i, j0 + c) of one tile row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Drop(float* row, int n, AttentionProblem problem, int b, int i, int j0)
    {
        uint key = RowKey(problem.DropoutSeed, b, i);
        float p = problem.DropoutP, keep = 1 / (1 - p);
        int c = 0;
        if (Wide)
        {
            var vkey = Vector512.Create(key);
            var threshold = Vector512.Create(p);
            var factor = Vector512.Create(keep);
            for (; c + 16 <= n; c += 16)
            {
                var u = Vector512.ConvertToSingle(CounterHash.Bits(vkey, (uint)(j0 + c)).AsInt32()) * Vector512.Create(1f / (1 << 24));
                var kept = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(u, threshold), factor, Vector512<float>.Zero);
                (Vector512.Load(row + c) * kept).Store(row + c);
            }
        }

        for (; c < n; c++)
            row[c] = Uniform(key, (uint)(j0 + c)) >= p ? row[c] * keep : 0;
    }

    /// <summary>The dropout factors Z [Batch, L, S] (keep/(1 − p) or 0) of <paramref name="problem"/>, for the composite backward.</summary>
    public static float[] DropoutFactors(AttentionProblem problem)
    {
        var factors = new float[(long)problem.Batch * problem.Queries * problem.Keys];
        float keep = 1 / (1 - problem.DropoutP);
        long index = 0;
        for (int b = 0; b < problem.Batch; b++)
            for (int i = 0; i < problem.Queries; i++)
                for (int j = 0; j < problem.Keys; j++)
                    factors[index++] = Keeps(problem.DropoutSeed, b, i, j, problem.DropoutP) ? keep : 0;
        return factors;
    }

    /// <summary>target[c·targetStride + r] = source[r·sourceStride + c]: a rows × columns block transposed.</summary>
    private static void Transpose(float* source, int rows, int columns, long sourceStride, float* target, int targetStride)
    {
        const int Tile = 16;
        for (int r0 = 0; r0 < rows; r0 += Tile)
        {
            int r1 = Math.Min(r0 + Tile, rows);
            for (int c0 = 0; c0 < columns; c0 += Tile)
            {
                int c1 = Math.Min(c0 + Tile, columns);
                for (int r = r0; r < r1; r++)
                {
                    for (int c = c0; c < c1; c++)
                    {
                        target[(long)c * targetStride + r] = source[r * sourceStride + c];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Gradients of Q, K and V (written in the layouts given) from the output's gradient <paramref name="gradOutput"/>,
    /// the forward's <paramref name="output"/> and <paramref name="logSumExp"/>.
    /// </summary>
    public static void Backward(
        AttentionProblem problem, HeadBuffer output, HeadBuffer gradOutput, float[] logSumExp,
        HeadBuffer gradQuery, HeadBuffer gradKey, HeadBuffer gradValue)
    {
        long workPerHead = (long)problem.Queries * problem.Keys * (problem.HeadDim + problem.ValueDim) * 2;
        int minChunk = (int)Math.Clamp(MinChunkWork / Math.Max(workPerHead, 1), 1, Math.Max(problem.Batch, 1));
        WorkerPool.For(problem.Batch, minChunk, (begin, end) =>
        {
            for (int b = begin; b < end; b++)
            {
                BackwardHead(problem, b, output, gradOutput, logSumExp, gradQuery, gradKey, gradValue);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardHead(
        AttentionProblem p, int b, HeadBuffer output, HeadBuffer gradOutput, float[] logSumExp,
        HeadBuffer gradQuery, HeadBuffer gradKey, HeadBuffer gradValue)
    {
        int seqL = p.Queries, seqS = p.Keys, e = p.HeadDim, ev = p.ValueDim;
        var kt = Scratch(ref keysTransposed, e * seqS);
        var vt = Scratch(ref valuesTransposed, ev * seqS);
        var s = Scratch(ref scoreTile, QueryBlock * KeyBlock);
        var ds = Scratch(ref gradientTile, QueryBlock * KeyBlock);
        var rowDots = Scratch(ref rowStatistics, Math.Max(seqL, 2 * QueryBlock));

        fixed (float* qBase = p.Query.Data, kBase = p.Key.Data, vBase = p.Value.Data, oBase = output.Data, goBase = gradOutput.Data, lseBase = logSumExp)
        fixed (float* gqBase = gradQuery.Data, gkBase = gradKey.Data, gvBase = gradValue.Data)
        fixed (float* ktp = kt, vtp = vt, sp = s, dsp = ds, dp = rowDots)
        fixed (float* maskBase = p.Mask)
        {
            int heads = p.Heads;
            long ldq = p.Query.RowStride, ldk = p.Key.RowStride, ldv = p.Value.RowStride, ldo = output.RowStride, ldgo = gradOutput.RowStride;
            long ldgq = gradQuery.RowStride, ldgk = gradKey.RowStride, ldgv = gradValue.RowStride;
            float* q = qBase + p.Query.Start(b, heads);
            float* k = kBase + p.Key.Start(b, heads);
            float* v = vBase + p.Value.Start(b, heads);
            float* o = oBase + output.Start(b, heads);
            float* go = goBase + gradOutput.Start(b, heads);
            float* lse = lseBase + (long)b * seqL;
            float* gq = gqBase + gradQuery.Start(b, heads);
            float* gk = gkBase + gradKey.Start(b, heads);
            float* gv = gvBase + gradValue.Start(b, heads);
            float* mask = maskBase == null ? null : maskBase + p.MaskOffsets![b];
            Transpose(k, seqS, e, ldk, ktp, seqS);
            Transpose(v, seqS, ev, ldv, vtp, seqS);
            transposedProblem = 0; // the forward's cached Kᵀ is overwritten
            for (int i = 0; i < seqL; i++) new Span<float>(gq + i * ldgq, e).Clear();
            for (int j = 0; j < seqS; j++) new Span<float>(gk + j * ldgk, e).Clear();
            for (int j = 0; j < seqS; j++) new Span<float>(gv + j * ldgv, ev).Clear();
            for (int i = 0; i < seqL; i++)
            {
                dp[i] = TensorPrimitives.Dot(new ReadOnlySpan<float>(go + i * ldgo, ev), new ReadOnlySpan<float>(o + i * ldo, ev)); // D = rowsum(dO ⊙ O)
            }

            for (int i0 = 0; i0 < seqL; i0 += QueryBlock)
            {
                int tq = Math.Min(QueryBlock, seqL - i0);
                int keyEnd = p.Causal ? Math.Min(seqS, i0 + tq) : seqS;
                float* qi = q + i0 * ldq;
                float* goi = go + i0 * ldgo;
                for (int j0 = 0; j0 < keyEnd; j0 += KeyBlock)
                {
                    int tk = Math.Min(KeyBlock, keyEnd - j0);
                    Gemm.Sgemm(tq, tk, e, qi, ldq, 1, ktp + j0, seqS, 1, sp, tk, accumulate: false);
                    for (int r = 0; r < tq; r++)
                    {
                        Probabilities(sp + r * tk, tk, p.Scale, mask == null ? null : mask + (long)(i0 + r) * seqS + j0, Visible(p.Causal, i0 + r - j0, tk), lse[i0 + r]);
                    }

                    // dV_j += (P ⊙ Z)ᵀ dO_i, Z the dropout's keep/(1 − p) (1 without dropout)
                    float* kept = sp;
                    if (p.DropoutP > 0)
                    {
                        kept = dsp;
                        new ReadOnlySpan<float>(sp, tq * tk).CopyTo(new Span<float>(dsp, tq * tk));
                        for (int r = 0; r < tq; r++) Drop(dsp + r * tk, tk, p, b, i0 + r, j0);
                    }

                    Gemm.Sgemm(tk, ev, tq, kept, 1, tk, goi, ldgo, 1, gv + j0 * ldgv, ldgv, accumulate: true);
                    // dP = (dO_i V_jᵀ) ⊙ Z, then dS = P ⊙ (dP − D)·scale in place
                    Gemm.Sgemm(tq, tk, ev, goi, ldgo, 1, vtp + j0, seqS, 1, dsp, tk, accumulate: false);
                    for (int r = 0; r < tq; r++)
                    {
                        if (p.DropoutP > 0) Drop(dsp + r * tk, tk, p, b, i0 + r, j0);
                        ScoreGradients(dsp + r * tk, sp + r * tk, tk, dp[i0 + r], p.Scale);
                    }

                    // dQ_i += dS K_j, dK_j += dSᵀ Q_i
                    Gemm.Sgemm(tq, e, tk, dsp, tk, 1, k + j0 * ldk, ldk, 1, gq + i0 * ldgq, ldgq, accumulate: true);
                    Gemm.Sgemm(tk, e, tq, dsp, 1, tk, qi, ldq, 1, gk + j0 * ldgk, ldgk, accumulate: true);
                }
            }
        }
    }
}
