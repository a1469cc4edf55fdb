using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// One attention problem for <see cref="Attention"/>: <see cref="Batch"/> independent heads, each with
/// queries Q [L, E], keys K [S, E], values V [S, Ev] (row-major, contiguous, head after head from the
/// given offsets), an optional additive float mask, a causal flag and the score scale.
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
    /// <summary>Q, K, V and their offsets.</summary>
    public required float[] Query { get; init; }
    /// <inheritdoc cref="Query"/>
    public required int QueryOffset { get; init; }
    /// <inheritdoc cref="Query"/>
    public required float[] Key { get; init; }
    /// <inheritdoc cref="Query"/>
    public required int KeyOffset { get; init; }
    /// <inheritdoc cref="Query"/>
    public required float[] Value { get; init; }
    /// <inheritdoc cref="Query"/>
    public required int ValueOffset { get; init; }
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
/// skipped. A row whose every key is masked gives output 0 and gradient 0 (PyTorch ≥ 2.5's safe softmax).
/// </summary>
internal static unsafe class Attention
{
    /// <summary>Queries per tile: 64 rows of scores and of the output accumulator, a few KiB each, stay in L1/L2.</summary>
    private const int QueryBlock = 32;

    /// <summary>Keys per tile.</summary>
    private const int KeyBlock = 64;

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

    /// <summary>
    /// output [Batch, L, Ev] (at <paramref name="outputOffset"/>) and logSumExp [Batch, L] (from 0) of <paramref name="problem"/>.
    /// </summary>
    public static void Forward(AttentionProblem problem, float[] output, int outputOffset, float[] logSumExp)
    {
        int blocks = (problem.Queries + QueryBlock - 1) / QueryBlock;
        int items = problem.Batch * blocks;
        long workPerItem = (long)Math.Min(QueryBlock, problem.Queries) * problem.Keys * (problem.HeadDim + problem.ValueDim);
        int minChunk = (int)Math.Clamp(MinChunkWork / Math.Max(workPerItem, 1), 1, Math.Max(items, 1));
        WorkerPool.For(items, minChunk, (begin, end) =>
        {
            for (int item = begin; item < end; item++)
            {
                ForwardBlock(problem, item / blocks, item % blocks * QueryBlock, output, outputOffset, logSumExp);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardBlock(AttentionProblem p, int b, int i0, float[] output, int outputOffset, float[] logSumExp)
    {
        int seqL = p.Queries, seqS = p.Keys, e = p.HeadDim, ev = p.ValueDim;
        int tq = Math.Min(QueryBlock, seqL - i0);
        int keyEnd = p.Causal ? Math.Min(seqS, i0 + tq) : seqS;
        var kt = Scratch(ref keysTransposed, e * seqS);
        var s = Scratch(ref scoreTile, QueryBlock * KeyBlock);
        var acc = Scratch(ref accumulator, QueryBlock * ev);
        var stats = Scratch(ref rowStatistics, 2 * QueryBlock);

        fixed (float* qBase = p.Query, kBase = p.Key, vBase = p.Value, oBase = output, lseBase = logSumExp)
        fixed (float* ktp = kt, sp = s, accp = acc, statp = stats)
        fixed (float* maskBase = p.Mask)
        {
            float* q = qBase + p.QueryOffset + ((long)b * seqL + i0) * e;
            float* k = kBase + p.KeyOffset + (long)b * seqS * e;
            float* v = vBase + p.ValueOffset + (long)b * seqS * ev;
            float* mask = maskBase == null ? null : maskBase + p.MaskOffsets![b] + (long)i0 * seqS;
            float* rowMax = statp, rowSum = statp + QueryBlock;
            // Kᵀ once per head and thread: a thread's items are consecutive query blocks, mostly of one head.
            if (transposedProblem != p.Id || transposedHead != b)
            {
                Transpose(k, seqS, e, ktp, seqS);
                (transposedProblem, transposedHead) = (p.Id, b);
            }
            new Span<float>(accp, tq * ev).Clear();
            new Span<float>(rowMax, tq).Fill(float.NegativeInfinity);
            new Span<float>(rowSum, tq).Clear();

            for (int j0 = 0; j0 < keyEnd; j0 += KeyBlock)
            {
                int tk = Math.Min(KeyBlock, keyEnd - j0);
                Gemm.Sgemm(tq, tk, e, q, e, 1, ktp + j0, seqS, 1, sp, tk, accumulate: false);
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
                    rowSum[r] = rowSum[r] * correction + sum;
                    rowMax[r] = newMax;
                    if (correction != 1f)
                    {
                        var accRow = new Span<float>(accp + r * ev, ev);
                        TensorPrimitives.Multiply(accRow, correction, accRow);
                    }
                }

                Gemm.Sgemm(tq, ev, tk, sp, tk, 1, v + (long)j0 * ev, ev, 1, accp, ev, accumulate: true);
            }

            float* o = oBase + outputOffset + ((long)b * seqL + i0) * ev;
            float* lse = lseBase + (long)b * seqL + i0;
            for (int r = 0; r < tq; r++)
            {
                var target = new Span<float>(o + r * ev, ev);
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

    /// <summary>target[c·targetStride + r] = source[r·columns + c]: a rows × columns block transposed.</summary>
    private static void Transpose(float* source, int rows, int columns, float* target, int targetStride)
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
                        target[(long)c * targetStride + r] = source[(long)r * columns + c];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Gradients of Q, K and V (each shaped as its input, from offset 0) from the output's gradient
    /// <paramref name="gradOutput"/> [Batch, L, Ev], the forward's <paramref name="output"/> and <paramref name="logSumExp"/>.
    /// </summary>
    public static void Backward(
        AttentionProblem problem, float[] output, int outputOffset, float[] gradOutput, int gradOutputOffset, float[] logSumExp,
        float[] gradQuery, float[] gradKey, float[] gradValue)
    {
        long workPerHead = (long)problem.Queries * problem.Keys * (problem.HeadDim + problem.ValueDim) * 2;
        int minChunk = (int)Math.Clamp(MinChunkWork / Math.Max(workPerHead, 1), 1, Math.Max(problem.Batch, 1));
        WorkerPool.For(problem.Batch, minChunk, (begin, end) =>
        {
            for (int b = begin; b < end; b++)
            {
                BackwardHead(problem, b, output, outputOffset, gradOutput, gradOutputOffset, logSumExp, gradQuery, gradKey, gradValue);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardHead(
        AttentionProblem p, int b, float[] output, int outputOffset, float[] gradOutput, int gradOutputOffset, float[] logSumExp,
        float[] gradQuery, float[] gradKey, float[] gradValue)
    {
        int seqL = p.Queries, seqS = p.Keys, e = p.HeadDim, ev = p.ValueDim;
        var kt = Scratch(ref keysTransposed, e * seqS);
        var vt = Scratch(ref valuesTransposed, ev * seqS);
        var s = Scratch(ref scoreTile, QueryBlock * KeyBlock);
        var ds = Scratch(ref gradientTile, QueryBlock * KeyBlock);
        var rowDots = Scratch(ref rowStatistics, Math.Max(seqL, 2 * QueryBlock));

        fixed (float* qBase = p.Query, kBase = p.Key, vBase = p.Value, oBase = output, goBase = gradOutput, lseBase = logSumExp)
        fixed (float* gqBase = gradQuery, gkBase = gradKey, gvBase = gradValue)
        fixed (float* ktp = kt, vtp = vt, sp = s, dsp = ds, dp = rowDots)
        fixed (float* maskBase = p.Mask)
        {
            float* q = qBase + p.QueryOffset + (long)b * seqL * e;
            float* k = kBase + p.KeyOffset + (long)b * seqS * e;
            float* v = vBase + p.ValueOffset + (long)b * seqS * ev;
            float* o = oBase + outputOffset + (long)b * seqL * ev;
            float* go = goBase + gradOutputOffset + (long)b * seqL * ev;
            float* lse = lseBase + (long)b * seqL;
            float* gq = gqBase + (long)b * seqL * e;
            float* gk = gkBase + (long)b * seqS * e;
            float* gv = gvBase + (long)b * seqS * ev;
            float* mask = maskBase == null ? null : maskBase + p.MaskOffsets![b];
            Transpose(k, seqS, e, ktp, seqS);
            Transpose(v, seqS, ev, vtp, seqS);
            transposedProblem = 0; // the forward's cached Kᵀ is overwritten
            new Span<float>(gq, seqL * e).Clear();
            new Span<float>(gk, seqS * e).Clear();
            new Span<float>(gv, seqS * ev).Clear();
            for (int i = 0; i < seqL; i++)
            {
                dp[i] = TensorPrimitives.Dot(new ReadOnlySpan<float>(go + (long)i * ev, ev), new ReadOnlySpan<float>(o + (long)i * ev, ev)); // D = rowsum(dO ⊙ O)
            }

            for (int i0 = 0; i0 < seqL; i0 += QueryBlock)
            {
                int tq = Math.Min(QueryBlock, seqL - i0);
                int keyEnd = p.Causal ? Math.Min(seqS, i0 + tq) : seqS;
                float* qi = q + (long)i0 * e;
                float* goi = go + (long)i0 * ev;
                for (int j0 = 0; j0 < keyEnd; j0 += KeyBlock)
                {
                    int tk = Math.Min(KeyBlock, keyEnd - j0);
                    Gemm.Sgemm(tq, tk, e, qi, e, 1, ktp + j0, seqS, 1, sp, tk, accumulate: false);
                    for (int r = 0; r < tq; r++)
                    {
                        Probabilities(sp + r * tk, tk, p.Scale, mask == null ? null : mask + (long)(i0 + r) * seqS + j0, Visible(p.Causal, i0 + r - j0, tk), lse[i0 + r]);
                    }

                    // dV_j += Pᵀ dO_i
                    Gemm.Sgemm(tk, ev, tq, sp, 1, tk, goi, ev, 1, gv + (long)j0 * ev, ev, accumulate: true);
                    // dP = dO_i V_jᵀ, then dS = P ⊙ (dP − D)·scale in place
                    Gemm.Sgemm(tq, tk, ev, goi, ev, 1, vtp + j0, seqS, 1, dsp, tk, accumulate: false);
                    for (int r = 0; r < tq; r++)
                    {
                        ScoreGradients(dsp + r * tk, sp + r * tk, tk, dp[i0 + r], p.Scale);
                    }

                    // dQ_i += dS K_j, dK_j += dSᵀ Q_i
                    Gemm.Sgemm(tq, e, tk, dsp, tk, 1, k + (long)j0 * e, e, 1, gq + (long)i0 * e, e, accumulate: true);
                    Gemm.Sgemm(tk, e, tq, dsp, 1, tk, qi, e, 1, gk + (long)j0 * e, e, accumulate: true);
                }
            }
        }
    }
}
