using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The recurrent cells, each written once, forward and first-order backward, row by row over a batch of [N, H]
/// states: the LSTM's, the GRU's, and the backward of the plain RNN's activation. Gate pre-activations are rows
/// of G·H values in PyTorch's order (LSTM i, f, g, o; GRU r, z, n). The forward replaces them in place by the
/// gate activations and saves what the backward needs besides (tanh c′ for the LSTM, W_hn h + b_hn for the
/// GRU), so the backward computes no transcendental function. Both callers use them: the whole-sequence kernel
/// (<see cref="RecurrentSequence"/>) for every step, and the single step of <c>Ops/RecurrentCells.cs</c>
/// (<c>LSTMCell</c>, <c>GRUCell</c>). All buffers are contiguous; the callers check shapes.
/// </summary>
internal static unsafe class RecurrentCells
{
    /// <summary>
    /// [i f g o] ← [σ(i) σ(f) tanh(g) σ(o)] in place; c′ = σ(f) ⊙ c + σ(i) ⊙ tanh(g); tanh c′ saved; h′ = σ(o) ⊙ tanh(c′).
    /// </summary>
    public static void LstmCell<T>(T* act, T* c, T* cNext, T* tanhCNext, T* hNext, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && Avx512Cells)
        {
            LstmCellAvx512((float*)act, (float*)c, (float*)cNext, (float*)tanhCNext, (float*)hNext, batch, hidden);
            return;
        }
        for (int n = 0; n < batch; n++)
        {
            var row = new Span<T>(act + (long)n * 4 * hidden, 4 * hidden);
            TensorPrimitives.Sigmoid(row[..(2 * hidden)], row[..(2 * hidden)]);
            TensorPrimitives.Tanh(row.Slice(2 * hidden, hidden), row.Slice(2 * hidden, hidden));
            TensorPrimitives.Sigmoid(row[(3 * hidden)..], row[(3 * hidden)..]);
            var cell = new Span<T>(cNext + n * hidden, hidden);
            var tanhCell = new Span<T>(tanhCNext + n * hidden, hidden);
            TensorPrimitives.Multiply(row[..hidden], row.Slice(2 * hidden, hidden), cell);
            TensorPrimitives.FusedMultiplyAdd(row.Slice(hidden, hidden), new ReadOnlySpan<T>(c + n * hidden, hidden), cell, cell);
            TensorPrimitives.Tanh(cell, tanhCell);
            TensorPrimitives.Multiply(row[(3 * hidden)..], tanhCell, new Span<T>(hNext + n * hidden, hidden));
        }
    }

    /// <summary>
    /// r = σ(xᵣ + hᵣ), z = σ(x_z + h_z), n = tanh(xₙ + r ⊙ hₙ), in place of the input projections [xᵣ x_z xₙ]
    /// in <paramref name="act"/>; hₙ saved; h′ = n + z ⊙ (h − n).
    /// </summary>
    public static void GruCell<T>(T* act, T* hiddenGates, T* h, T* savedHn, T* hNext, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && Avx512Cells)
        {
            GruCellAvx512((float*)act, (float*)hiddenGates, (float*)h, (float*)savedHn, (float*)hNext, batch, hidden);
            return;
        }
        for (int n = 0; n < batch; n++)
        {
            var hg = new ReadOnlySpan<T>(hiddenGates + (long)n * 3 * hidden, 3 * hidden);
            var row = new Span<T>(act + (long)n * 3 * hidden, 3 * hidden);
            ReadOnlySpan<T> x = row; // each element is read before it is overwritten
            var rz = row[..(2 * hidden)];
            TensorPrimitives.Add(x[..(2 * hidden)], hg[..(2 * hidden)], rz);
            TensorPrimitives.Sigmoid(rz, rz);
            var hn = hg[(2 * hidden)..];
            hn.CopyTo(new Span<T>(savedHn + n * hidden, hidden));
            var candidate = row[(2 * hidden)..];
            TensorPrimitives.FusedMultiplyAdd(row[..hidden], hn, x[(2 * hidden)..], candidate);
            TensorPrimitives.Tanh(candidate, candidate);
            var next = new Span<T>(hNext + n * hidden, hidden);
            TensorPrimitives.Subtract(new ReadOnlySpan<T>(h + n * hidden, hidden), candidate, next);
            TensorPrimitives.FusedMultiplyAdd(row.Slice(hidden, hidden), next, candidate, next);
        }
    }

    /// <summary>Whether the float32 cells run the AVX-512 kernels below (the AVX-512 path is the active one).</summary>
    private static readonly bool Avx512Cells = CpuFeatures.Active == CpuIsa.Avx512 && Avx512F.IsSupported;

    /// <summary>
    /// <c>LstmCell</c> for float32 in one pass per row, 16 units at a time: σ from <see cref="Exponential.Exp"/>, tanh
    /// from a rational function, both much cheaper than TensorPrimitives' (bench <c>lstm</c>, <c>gru</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LstmCellAvx512(float* act, float* c, float* cNext, float* tanhCNext, float* hNext, int batch, int hidden)
    {
        for (int n = 0; n < batch; n++)
        {
            float* a = act + (long)n * 4 * hidden;
            int k0 = n * hidden;
            int j = 0;
            for (; j <= hidden - 16; j += 16)
            {
                int k = k0 + j;
                var i = Sigmoid(Vector512.Load(a + j));
                var f = Sigmoid(Vector512.Load(a + hidden + j));
                var g = Tanh(Vector512.Load(a + 2 * hidden + j));
                var o = Sigmoid(Vector512.Load(a + 3 * hidden + j));
                var cell = Avx512F.FusedMultiplyAdd(f, Vector512.Load(c + k), Avx512F.Multiply(i, g));
                var tanhCell = Tanh(cell);
                i.Store(a + j);
                f.Store(a + hidden + j);
                g.Store(a + 2 * hidden + j);
                o.Store(a + 3 * hidden + j);
                cell.Store(cNext + k);
                tanhCell.Store(tanhCNext + k);
                Avx512F.Multiply(o, tanhCell).Store(hNext + k);
            }
            for (; j < hidden; j++)
            {
                int k = k0 + j;
                float i = Sigmoid(a[j]), f = Sigmoid(a[hidden + j]), g = MathF.Tanh(a[2 * hidden + j]), o = Sigmoid(a[3 * hidden + j]);
                float cell = (f * c[k]) + (i * g);
                (a[j], a[hidden + j], a[2 * hidden + j], a[3 * hidden + j]) = (i, f, g, o);
                cNext[k] = cell;
                tanhCNext[k] = MathF.Tanh(cell);
                hNext[k] = o * tanhCNext[k];
            }
        }
    }

    /// <summary><c>GruCell</c> for float32, 16 units at a time (see <see cref="LstmCellAvx512"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GruCellAvx512(float* act, float* hiddenGates, float* h, float* savedHn, float* hNext, int batch, int hidden)
    {
        for (int n = 0; n < batch; n++)
        {
            float* a = act + (long)n * 3 * hidden;
            float* hg = hiddenGates + (long)n * 3 * hidden;
            int k0 = n * hidden;
            int j = 0;
            for (; j <= hidden - 16; j += 16)
            {
                int k = k0 + j;
                var r = Sigmoid(Avx512F.Add(Vector512.Load(a + j), Vector512.Load(hg + j)));
                var z = Sigmoid(Avx512F.Add(Vector512.Load(a + hidden + j), Vector512.Load(hg + hidden + j)));
                var hn = Vector512.Load(hg + 2 * hidden + j);
                var candidate = Tanh(Avx512F.FusedMultiplyAdd(r, hn, Vector512.Load(a + 2 * hidden + j)));
                r.Store(a + j);
                z.Store(a + hidden + j);
                candidate.Store(a + 2 * hidden + j);
                hn.Store(savedHn + k);
                Avx512F.FusedMultiplyAdd(z, Avx512F.Subtract(Vector512.Load(h + k), candidate), candidate).Store(hNext + k);
            }
            for (; j < hidden; j++)
            {
                int k = k0 + j;
                float r = Sigmoid(a[j] + hg[j]), z = Sigmoid(a[hidden + j] + hg[hidden + j]), hn = hg[2 * hidden + j];
                float candidate = MathF.Tanh(a[2 * hidden + j] + (r * hn));
                (a[j], a[hidden + j], a[2 * hidden + j]) = (r, z, candidate);
                savedHn[k] = hn;
                hNext[k] = candidate + (z * (h[k] - candidate));
            }
        }
    }

    private static float Sigmoid(float x) => 1 / (1 + MathF.Exp(-x));

    /// <summary>σ(x) = 1 / (1 + e⁻ˣ).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sigmoid(Vector512<float> x) =>
        Avx512F.Divide(Vector512<float>.One, Avx512F.Add(Vector512<float>.One, Exponential.Exp(Avx512F.Subtract(Vector512<float>.Zero, x))));

    /// <summary>
    /// tanh x by Eigen's rational approximation x·P(x²)/Q(x²) (degrees 13 and 6) on x clamped to ±7.905, where
    /// float tanh is ±1: a few ulp everywhere, including near 0, where 1 − 2/(e²ˣ + 1) would lose the relative accuracy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tanh(Vector512<float> x)
    {
        var clamped = Avx512F.Min(Avx512F.Max(x, Vector512.Create(-7.90531110763549805f)), Vector512.Create(7.90531110763549805f));
        var x2 = Avx512F.Multiply(clamped, clamped);
        var p = Vector512.Create(-2.76076847742355e-16f);
        p = Avx512F.FusedMultiplyAdd(p, x2, Vector512.Create(2.00018790482477e-13f));
        p = Avx512F.FusedMultiplyAdd(p, x2, Vector512.Create(-8.60467152213735e-11f));
        p = Avx512F.FusedMultiplyAdd(p, x2, Vector512.Create(5.12229709037114e-08f));
        p = Avx512F.FusedMultiplyAdd(p, x2, Vector512.Create(1.48572235717979e-05f));
        p = Avx512F.FusedMultiplyAdd(p, x2, Vector512.Create(6.37261928875436e-04f));
        p = Avx512F.FusedMultiplyAdd(p, x2, Vector512.Create(4.89352455891786e-03f));
        var q = Vector512.Create(1.19825839466702e-06f);
        q = Avx512F.FusedMultiplyAdd(q, x2, Vector512.Create(1.18534705686654e-04f));
        q = Avx512F.FusedMultiplyAdd(q, x2, Vector512.Create(2.26843463243900e-03f));
        q = Avx512F.FusedMultiplyAdd(q, x2, Vector512.Create(4.89352518554385e-03f));
        var result = Avx512F.Divide(Avx512F.Multiply(clamped, p), q);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x); // NaN stays NaN
    }

    /// <summary>d pre-activation = d h′ (1 − h′²) for tanh, d h′ [h′ &gt; 0] for ReLU.</summary>
    public static void RnnCellBackward<T>(RecurrentMode mode, T* gradH, T* h, T* gradGates, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dh = new ReadOnlySpan<T>(gradH, count);
        var output = new ReadOnlySpan<T>(h, count);
        var grad = new Span<T>(gradGates, count);
        if (mode == RecurrentMode.RNNTanh)
        {
            TensorPrimitives.Multiply(output, output, grad);
            TensorPrimitives.Multiply(grad, dh, grad);
            TensorPrimitives.Subtract(dh, grad, grad); // d h′ − d h′ h′² = d h′ (1 − h′²)
            return;
        }
        for (int k = 0; k < count; k++) grad[k] = output[k] > T.Zero ? dh[k] : T.Zero;
    }

    /// <summary>
    /// From d h′ (in gradH) and d c′ (in gradC): d gates and, in gradC, d c. With t = tanh(c′):
    /// d c′ₜₒₜ = d c′ + d h′ σ(o)(1 − t²); dᵢ = d c′ₜₒₜ tanh(g) σ(i)(1 − σ(i)); d_f = d c′ₜₒₜ c σ(f)(1 − σ(f));
    /// d_g = d c′ₜₒₜ σ(i)(1 − tanh²g); dₒ = d h′ t σ(o)(1 − σ(o)); d c = d c′ₜₒₜ σ(f).
    /// </summary>
    public static void LstmCellBackward<T>(T* gradH, T* gradC, T* act, T* c, T* tanhCNext, T* gradGates, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && Avx512Cells)
        {
            LstmCellBackwardAvx512((float*)gradH, (float*)gradC, (float*)act, (float*)c, (float*)tanhCNext, (float*)gradGates, batch, hidden);
            return;
        }
        int width = Vector<T>.Count;
        var one = Vector<T>.One;
        for (int n = 0; n < batch; n++)
        {
            T* a = act + (long)n * 4 * hidden;
            T* d = gradGates + (long)n * 4 * hidden;
            int k0 = n * hidden;
            int j = 0;
            for (; j <= hidden - width; j += width)
            {
                int k = k0 + j;
                Vector<T> i = Vector.Load(a + j), f = Vector.Load(a + hidden + j), g = Vector.Load(a + 2 * hidden + j), o = Vector.Load(a + 3 * hidden + j);
                Vector<T> t = Vector.Load(tanhCNext + k), dh = Vector.Load(gradH + k);
                Vector<T> dc = Vector.Load(gradC + k) + dh * o * (one - t * t);
                Vector.Store(dc * g * i * (one - i), d + j);
                Vector.Store(dc * Vector.Load(c + k) * f * (one - f), d + hidden + j);
                Vector.Store(dc * i * (one - g * g), d + 2 * hidden + j);
                Vector.Store(dh * t * o * (one - o), d + 3 * hidden + j);
                Vector.Store(dc * f, gradC + k);
            }
            for (; j < hidden; j++)
            {
                int k = k0 + j;
                T i = a[j], f = a[hidden + j], g = a[2 * hidden + j], o = a[3 * hidden + j], t = tanhCNext[k];
                T dh = gradH[k];
                T dc = gradC[k] + dh * o * (T.One - t * t);
                d[j] = dc * g * i * (T.One - i);
                d[hidden + j] = dc * c[k] * f * (T.One - f);
                d[2 * hidden + j] = dc * i * (T.One - g * g);
                d[3 * hidden + j] = dh * t * o * (T.One - o);
                gradC[k] = dc * f;
            }
        }
    }

    /// <summary>
    /// <c>LstmCellBackward</c> for float32, 16 units at a time (the runtime keeps <see cref="Vector{T}"/> at 8 floats
    /// unless told to prefer 512-bit vectors): the same formulas, each product in the same order as the generic loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LstmCellBackwardAvx512(float* gradH, float* gradC, float* act, float* c, float* tanhCNext, float* gradGates, int batch, int hidden)
    {
        var one = Vector512<float>.One;
        for (int n = 0; n < batch; n++)
        {
            float* a = act + (long)n * 4 * hidden;
            float* d = gradGates + (long)n * 4 * hidden;
            int k0 = n * hidden;
            int j = 0;
            for (; j <= hidden - 16; j += 16)
            {
                int k = k0 + j;
                var i = Vector512.Load(a + j);
                var f = Vector512.Load(a + hidden + j);
                var g = Vector512.Load(a + 2 * hidden + j);
                var o = Vector512.Load(a + 3 * hidden + j);
                var t = Vector512.Load(tanhCNext + k);
                var dh = Vector512.Load(gradH + k);
                var dc = Vector512.Load(gradC + k) + (dh * o * (one - (t * t)));
                (dc * g * i * (one - i)).Store(d + j);
                (dc * Vector512.Load(c + k) * f * (one - f)).Store(d + hidden + j);
                (dc * i * (one - (g * g))).Store(d + 2 * hidden + j);
                (dh * t * o * (one - o)).Store(d + 3 * hidden + j);
                (dc * f).Store(gradC + k);
            }
            if (j < hidden) LstmCellBackwardTail(gradH + k0 + j, gradC + k0 + j, a + j, c + k0 + j, tanhCNext + k0 + j, d + j, hidden, j);
        }
    }

    /// <summary>The scalar tail of <see cref="LstmCellBackwardAvx512"/>: units <paramref name="first"/> .. H of one row, pointers at unit <paramref name="first"/>.</summary>
    private static void LstmCellBackwardTail(float* gradH, float* gradC, float* a, float* c, float* tanhCNext, float* d, int hidden, int first)
    {
        for (int j = 0; j < hidden - first; j++)
        {
            float i = a[j], f = a[hidden + j], g = a[2 * hidden + j], o = a[3 * hidden + j], t = tanhCNext[j];
            float dh = gradH[j];
            float dc = gradC[j] + (dh * o * (1 - (t * t)));
            d[j] = dc * g * i * (1 - i);
            d[hidden + j] = dc * c[j] * f * (1 - f);
            d[2 * hidden + j] = dc * i * (1 - (g * g));
            d[3 * hidden + j] = dh * t * o * (1 - o);
            gradC[j] = dc * f;
        }
    }

    /// <summary>
    /// From d h′ (in gradH): d input gates [r z n] and d hidden gates (d hₙ = d nₚᵣₑ ⊙ r), and in gradH the
    /// direct part of d h, d h′ ⊙ z (the caller adds d hidden gates · W_hh).
    /// </summary>
    public static void GruCellBackward<T>(T* gradH, T* act, T* h, T* hn, T* gradInput, T* gradHidden, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count;
        var one = Vector<T>.One;
        for (int n = 0; n < batch; n++)
        {
            T* a = act + (long)n * 3 * hidden;
            T* gx = gradInput + (long)n * 3 * hidden;
            T* gh = gradHidden + (long)n * 3 * hidden;
            int k0 = n * hidden;
            int j = 0;
            // h′ = n + z (h − n): d n = d (1 − z), d z = d (h − n), d h = d z; then through tanh and σ.
            for (; j <= hidden - width; j += width)
            {
                int k = k0 + j;
                Vector<T> r = Vector.Load(a + j), z = Vector.Load(a + hidden + j), candidate = Vector.Load(a + 2 * hidden + j), d = Vector.Load(gradH + k);
                Vector<T> gradCandidate = d * (one - z) * (one - candidate * candidate);
                Vector<T> gradR = gradCandidate * Vector.Load(hn + k) * r * (one - r);
                Vector<T> gradZ = d * (Vector.Load(h + k) - candidate) * z * (one - z);
                Vector.Store(gradR, gx + j);
                Vector.Store(gradR, gh + j);
                Vector.Store(gradZ, gx + hidden + j);
                Vector.Store(gradZ, gh + hidden + j);
                Vector.Store(gradCandidate, gx + 2 * hidden + j);
                Vector.Store(gradCandidate * r, gh + 2 * hidden + j);
                Vector.Store(d * z, gradH + k);
            }
            for (; j < hidden; j++)
            {
                int k = k0 + j;
                T r = a[j], z = a[hidden + j], candidate = a[2 * hidden + j], d = gradH[k];
                T gradCandidate = d * (T.One - z) * (T.One - candidate * candidate);
                T gradR = gradCandidate * hn[k] * r * (T.One - r);
                T gradZ = d * (h[k] - candidate) * z * (T.One - z);
                gx[j] = gh[j] = gradR;
                gx[hidden + j] = gh[hidden + j] = gradZ;
                gx[2 * hidden + j] = gradCandidate;
                gh[2 * hidden + j] = gradCandidate * r;
                gradH[k] = d * z;
            }
        }
    }

    /// <summary><c>LstmCell</c> on spans: gate pre-activations [N, 4H] in <paramref name="act"/>, replaced by the activations.</summary>
    public static void LstmCell<T>(Span<T> act, ReadOnlySpan<T> c, Span<T> cNext, Span<T> tanhCNext, Span<T> hNext, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* a = act, cp = c, cn = cNext, t = tanhCNext, h = hNext) LstmCell(a, cp, cn, t, h, c.Length / hidden, hidden);
    }

    /// <summary><c>GruCell</c> on spans: input projections [N, 3H] in <paramref name="act"/>, replaced by the activations.</summary>
    public static void GruCell<T>(Span<T> act, ReadOnlySpan<T> hiddenGates, ReadOnlySpan<T> h, Span<T> savedHn, Span<T> hNext, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* a = act, hg = hiddenGates, hp = h, s = savedHn, hn = hNext) GruCell(a, hg, hp, s, hn, h.Length / hidden, hidden);
    }

    /// <summary><c>LstmCellBackward</c> on spans: <paramref name="gradC"/> holds d c′ and receives d c.</summary>
    public static void LstmCellBackward<T>(ReadOnlySpan<T> gradH, Span<T> gradC, ReadOnlySpan<T> act, ReadOnlySpan<T> c, ReadOnlySpan<T> tanhCNext,
        Span<T> gradGates, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* dh = gradH, dc = gradC, a = act, cp = c, t = tanhCNext, d = gradGates)
            LstmCellBackward(dh, dc, a, cp, t, d, c.Length / hidden, hidden);
    }

    /// <summary><c>GruCellBackward</c> on spans: <paramref name="gradH"/> holds d h′ and receives the direct part of d h, d h′ ⊙ z.</summary>
    public static void GruCellBackward<T>(Span<T> gradH, ReadOnlySpan<T> act, ReadOnlySpan<T> h, ReadOnlySpan<T> hn,
        Span<T> gradInput, Span<T> gradHidden, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* dh = gradH, a = act, hp = h, s = hn, gx = gradInput, gh = gradHidden)
            GruCellBackward(dh, a, hp, s, gx, gh, h.Length / hidden, hidden);
    }
}
