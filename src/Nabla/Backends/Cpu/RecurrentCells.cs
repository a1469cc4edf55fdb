using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Fused LSTM and GRU cell kernels, forward and first-order backward, row by row over [N, H]. Gate
/// pre-activations are rows of G·H values in PyTorch's order (LSTM i, f, g, o; GRU r, z, n). The
/// transcendental functions run vectorised (TensorPrimitives) into a per-row scratch; the
/// arithmetic that combines them is a scalar loop. The backward recomputes the activations rather
/// than saving them. All spans are contiguous; the caller (Ops/RecurrentCells.cs) checks shapes.
/// </summary>
internal static class RecurrentCells
{
    /// <summary>act = [σ(i), σ(f), tanh(g), σ(o)] for one row of 4H pre-activations.</summary>
    static void LstmActivations<T>(ReadOnlySpan<T> row, Span<T> act, int hidden) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Sigmoid(row[..(2 * hidden)], act[..(2 * hidden)]);
        TensorPrimitives.Tanh(row.Slice(2 * hidden, hidden), act.Slice(2 * hidden, hidden));
        TensorPrimitives.Sigmoid(row[(3 * hidden)..], act[(3 * hidden)..]);
    }

    /// <summary>c′ = σ(f) ⊙ c + σ(i) ⊙ tanh(g), h′ = σ(o) ⊙ tanh(c′). gates [N, 4H]; c, cNext, h [N, H].</summary>
    public static void Lstm<T>(ReadOnlySpan<T> gates, ReadOnlySpan<T> c, Span<T> cNext, Span<T> h, int hidden) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var scratch = ArrayPool<T>.Shared.Rent(4 * hidden);
        var act = scratch.AsSpan(0, 4 * hidden);
        for (int n = 0, rows = c.Length / hidden; n < rows; n++)
        {
            LstmActivations(gates.Slice(n * 4 * hidden, 4 * hidden), act, hidden);
            var cRow = c.Slice(n * hidden, hidden);
            var cNextRow = cNext.Slice(n * hidden, hidden);
            for (int j = 0; j < hidden; j++) cNextRow[j] = act[hidden + j] * cRow[j] + act[j] * act[2 * hidden + j];
            var hRow = h.Slice(n * hidden, hidden);
            TensorPrimitives.Tanh(cNextRow, hRow);
            TensorPrimitives.Multiply(hRow, act[(3 * hidden)..], hRow);
        }
        ArrayPool<T>.Shared.Return(scratch);
    }

    /// <summary>
    /// Backward of <see cref="Lstm"/> from dh′ and dc′ (either may be empty for none): d gates [N, 4H]
    /// and dc [N, H]. With t = tanh(c′): dc′ₜₒₜ = dc′ + dh′ σ(o)(1 − t²); dₒ = dh′ t σ(o)(1 − σ(o));
    /// dᵢ = dc′ₜₒₜ tanh(g) σ(i)(1 − σ(i)); d_f = dc′ₜₒₜ c σ(f)(1 − σ(f)); d_g = dc′ₜₒₜ σ(i)(1 − tanh²g); dc = dc′ₜₒₜ σ(f).
    /// </summary>
    public static void LstmBackward<T>(ReadOnlySpan<T> gradH, ReadOnlySpan<T> gradCNext, ReadOnlySpan<T> gates, ReadOnlySpan<T> c, ReadOnlySpan<T> cNext,
        Span<T> gradGates, Span<T> gradC, int hidden) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var scratch = ArrayPool<T>.Shared.Rent(5 * hidden);
        var act = scratch.AsSpan(0, 4 * hidden);
        var tanhC = scratch.AsSpan(4 * hidden, hidden);
        for (int n = 0, rows = c.Length / hidden; n < rows; n++)
        {
            LstmActivations(gates.Slice(n * 4 * hidden, 4 * hidden), act, hidden);
            TensorPrimitives.Tanh(cNext.Slice(n * hidden, hidden), tanhC);
            var gradRow = gradGates.Slice(n * 4 * hidden, 4 * hidden);
            for (int j = 0, k = n * hidden; j < hidden; j++, k++)
            {
                T i = act[j], f = act[hidden + j], g = act[2 * hidden + j], o = act[3 * hidden + j], t = tanhC[j];
                T dh = gradH.IsEmpty ? T.Zero : gradH[k];
                T dc = (gradCNext.IsEmpty ? T.Zero : gradCNext[k]) + dh * o * (T.One - t * t);
                gradRow[j] = dc * g * i * (T.One - i);
                gradRow[hidden + j] = dc * c[k] * f * (T.One - f);
                gradRow[2 * hidden + j] = dc * i * (T.One - g * g);
                gradRow[3 * hidden + j] = dh * t * o * (T.One - o);
                gradC[k] = dc * f;
            }
        }
        ArrayPool<T>.Shared.Return(scratch);
    }

    /// <summary>[r, z] = σ(x_rz + h_rz) and n = tanh(xₙ + r ⊙ hₙ) for one row into act [3H].</summary>
    static void GruActivations<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> hg, Span<T> act, int hidden) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rz = act[..(2 * hidden)];
        TensorPrimitives.Add(x[..(2 * hidden)], hg[..(2 * hidden)], rz);
        TensorPrimitives.Sigmoid(rz, rz);
        var candidate = act[(2 * hidden)..];
        TensorPrimitives.FusedMultiplyAdd(act[..hidden], hg[(2 * hidden)..], x[(2 * hidden)..], candidate);
        TensorPrimitives.Tanh(candidate, candidate);
    }

    /// <summary>
    /// r = σ(xᵣ + hᵣ), z = σ(x_z + h_z), n = tanh(xₙ + r ⊙ hₙ), h′ = n + z ⊙ (h − n).
    /// inputGates and hiddenGates [N, 3H], h and hNext [N, H].
    /// </summary>
    public static void Gru<T>(ReadOnlySpan<T> inputGates, ReadOnlySpan<T> hiddenGates, ReadOnlySpan<T> h, Span<T> hNext, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var scratch = ArrayPool<T>.Shared.Rent(3 * hidden);
        var act = scratch.AsSpan(0, 3 * hidden);
        for (int n = 0, rows = h.Length / hidden; n < rows; n++)
        {
            GruActivations(inputGates.Slice(n * 3 * hidden, 3 * hidden), hiddenGates.Slice(n * 3 * hidden, 3 * hidden), act, hidden);
            for (int j = 0, k = n * hidden; j < hidden; j++, k++)
            {
                T z = act[hidden + j], candidate = act[2 * hidden + j];
                hNext[k] = candidate + z * (h[k] - candidate);
            }
        }
        ArrayPool<T>.Shared.Return(scratch);
    }

    /// <summary>Backward of <see cref="Gru"/>: d inputGates, d hiddenGates [N, 3H] and dh [N, H] from dh′.</summary>
    public static void GruBackward<T>(ReadOnlySpan<T> gradNext, ReadOnlySpan<T> inputGates, ReadOnlySpan<T> hiddenGates, ReadOnlySpan<T> h,
        Span<T> gradInputGates, Span<T> gradHiddenGates, Span<T> gradH, int hidden) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var scratch = ArrayPool<T>.Shared.Rent(3 * hidden);
        var act = scratch.AsSpan(0, 3 * hidden);
        for (int n = 0, rows = h.Length / hidden; n < rows; n++)
        {
            var hg = hiddenGates.Slice(n * 3 * hidden, 3 * hidden);
            GruActivations(inputGates.Slice(n * 3 * hidden, 3 * hidden), hg, act, hidden);
            var gx = gradInputGates.Slice(n * 3 * hidden, 3 * hidden);
            var gh = gradHiddenGates.Slice(n * 3 * hidden, 3 * hidden);
            for (int j = 0, k = n * hidden; j < hidden; j++, k++)
            {
                T r = act[j], z = act[hidden + j], candidate = act[2 * hidden + j], d = gradNext[k];
                // dn = d(1 − z), dz = d(h − n), dh = d z; through tanh, then σ.
                T gradCandidate = d * (T.One - z) * (T.One - candidate * candidate);
                T gradR = gradCandidate * hg[2 * hidden + j] * r * (T.One - r);
                T gradZ = d * (h[k] - candidate) * z * (T.One - z);
                gx[j] = gh[j] = gradR;
                gx[hidden + j] = gh[hidden + j] = gradZ;
                gx[2 * hidden + j] = gradCandidate;
                gh[2 * hidden + j] = gradCandidate * r;
                gradH[k] = d * z;
            }
        }
        ArrayPool<T>.Shared.Return(scratch);
    }
}
