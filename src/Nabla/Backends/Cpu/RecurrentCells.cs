using System.Numerics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Fused GRU cell kernel, one pass over [N, H], forward and first-order backward.
/// Gate pre-activations are rows of 3H values in PyTorch's order r, z, n.
/// All spans are contiguous; the caller (Ops/RecurrentCells.cs) checks shapes.
/// </summary>
internal static class RecurrentCells
{
    static T Sigmoid<T>(T x) where T : IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));

    /// <summary>
    /// r = σ(xᵣ + hᵣ), z = σ(x_z + h_z), n = tanh(xₙ + r ⊙ hₙ), h′ = n + z ⊙ (h − n).
    /// inputGates and hiddenGates [N, 3H], h and hNext [N, H].
    /// </summary>
    public static void Gru<T>(ReadOnlySpan<T> inputGates, ReadOnlySpan<T> hiddenGates, ReadOnlySpan<T> h, Span<T> hNext, int hidden)
        where T : IFloatingPointIeee754<T>
    {
        for (int n = 0, rows = h.Length / hidden; n < rows; n++)
        {
            var x = inputGates.Slice(n * 3 * hidden, 3 * hidden);
            var hg = hiddenGates.Slice(n * 3 * hidden, 3 * hidden);
            for (int j = 0, k = n * hidden; j < hidden; j++, k++)
            {
                T r = Sigmoid(x[j] + hg[j]), z = Sigmoid(x[hidden + j] + hg[hidden + j]);
                T candidate = T.Tanh(x[2 * hidden + j] + r * hg[2 * hidden + j]);
                hNext[k] = candidate + z * (h[k] - candidate);
            }
        }
    }

    /// <summary>Backward of <see cref="Gru"/>: d inputGates, d hiddenGates [N, 3H] and dh [N, H] from dh′.</summary>
    public static void GruBackward<T>(ReadOnlySpan<T> gradNext, ReadOnlySpan<T> inputGates, ReadOnlySpan<T> hiddenGates, ReadOnlySpan<T> h,
        Span<T> gradInputGates, Span<T> gradHiddenGates, Span<T> gradH, int hidden) where T : IFloatingPointIeee754<T>
    {
        for (int n = 0, rows = h.Length / hidden; n < rows; n++)
        {
            var x = inputGates.Slice(n * 3 * hidden, 3 * hidden);
            var hg = hiddenGates.Slice(n * 3 * hidden, 3 * hidden);
            var gx = gradInputGates.Slice(n * 3 * hidden, 3 * hidden);
            var gh = gradHiddenGates.Slice(n * 3 * hidden, 3 * hidden);
            for (int j = 0, k = n * hidden; j < hidden; j++, k++)
            {
                T r = Sigmoid(x[j] + hg[j]), z = Sigmoid(x[hidden + j] + hg[hidden + j]);
                T candidate = T.Tanh(x[2 * hidden + j] + r * hg[2 * hidden + j]), d = gradNext[k];
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
    }
}
