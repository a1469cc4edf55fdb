using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The per-element rule of one optimizer, applied to a vector of elements: the parameter, its
/// gradient and up to three state buffers (unused ones are scratch).
/// </summary>
internal interface IVectorUpdate<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    void Apply(ref Vector<T> param, Vector<T> grad, ref Vector<T> a, ref Vector<T> b, ref Vector<T> c);
}

/// <summary>
/// Fused optimizer updates over contiguous buffers: one pass over memory instead of one per tensor op.
/// Each rule performs exactly the roundings of the optimizer's tensor-op formulation (same operations,
/// same order, in the element type), so fused and unfused steps give bit-identical results.
/// Vectorized with <see cref="Vector{T}"/>; the tail runs through the same code on a padded copy.
/// </summary>
internal static class OptimizerKernels
{
    /// <summary>Applies <paramref name="update"/> to every element; empty state spans are not used by the rule.</summary>
    public static void Run<T, TUpdate>(in TUpdate update, Span<T> param, ReadOnlySpan<T> grad, Span<T> a = default, Span<T> b = default, Span<T> c = default)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TUpdate : struct, IVectorUpdate<T>
    {
        int width = Vector<T>.Count, full = param.Length - param.Length % width;
        RunVectors(update, param[..full], grad[..full], Head(a, full), Head(b, full), Head(c, full));
        int tail = param.Length - full;
        if (tail == 0) return;
        Span<T> p = stackalloc T[width], g = stackalloc T[width], ta = stackalloc T[width], tb = stackalloc T[width], tc = stackalloc T[width];
        param[full..].CopyTo(p);
        grad[full..].CopyTo(g);
        if (!a.IsEmpty) a[full..].CopyTo(ta);
        if (!b.IsEmpty) b[full..].CopyTo(tb);
        if (!c.IsEmpty) c[full..].CopyTo(tc);
        RunVectors(update, p, g, ta, tb, tc);
        p[..tail].CopyTo(param[full..]);
        if (!a.IsEmpty) ta[..tail].CopyTo(a[full..]);
        if (!b.IsEmpty) tb[..tail].CopyTo(b[full..]);
        if (!c.IsEmpty) tc[..tail].CopyTo(c[full..]);
    }

    static Span<T> Head<T>(Span<T> span, int length) => span.IsEmpty ? span : span[..length];

    /// <remarks>
    /// Every rule's <c>Apply</c> (and <see cref="Gradient"/>) is marked for inlining into this loop: the JIT does not inline
    /// them on its own where no profile guides it (Nabla.Bench runs with tiered compilation off), and a call per
    /// vector made the MLP's SGD step (203,530 parameters, 2 threads, inside the training loop) 408–426 µs instead of 106–107.
    /// </remarks>
    static void RunVectors<T, TUpdate>(in TUpdate update, Span<T> param, ReadOnlySpan<T> grad, Span<T> a, Span<T> b, Span<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TUpdate : struct, IVectorUpdate<T>
    {
        var p = MemoryMarshal.Cast<T, Vector<T>>(param);
        var g = MemoryMarshal.Cast<T, Vector<T>>(grad);
        var va = MemoryMarshal.Cast<T, Vector<T>>(a);
        var vb = MemoryMarshal.Cast<T, Vector<T>>(b);
        var vc = MemoryMarshal.Cast<T, Vector<T>>(c);
        Vector<T> scratchA = default, scratchB = default, scratchC = default;
        for (int i = 0; i < p.Length; i++)
            update.Apply(ref p[i], g[i],
                ref va.IsEmpty ? ref scratchA : ref va[i],
                ref vb.IsEmpty ? ref scratchB : ref vb[i],
                ref vc.IsEmpty ? ref scratchC : ref vc[i]);
    }

    /// <summary>g, negated when maximizing, plus λθ when weight decay is on — the start of most rules.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector<T> Gradient<T>(Vector<T> grad, Vector<T> param, bool maximize, bool hasWeightDecay, Vector<T> weightDecay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = maximize ? Vector<T>.Zero - grad : grad;
        return hasWeightDecay ? g + param * weightDecay : g;                // g ← g + λθ
    }

    /// <summary>SGD; a = momentum buffer. <c>NegativeLr</c> = −γ.</summary>
    internal readonly record struct Sgd<T>(T NegativeLr, T Momentum, T OneMinusDampening, T WeightDecay,
                                           bool HasMomentum, bool FirstStep, bool Nesterov, bool Maximize, bool HasWeightDecay) : IVectorUpdate<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply(ref Vector<T> param, Vector<T> grad, ref Vector<T> buffer, ref Vector<T> b, ref Vector<T> c)
        {
            var d = Gradient(grad, param, Maximize, HasWeightDecay, new Vector<T>(WeightDecay));
            if (HasMomentum)
            {
                var momentum = new Vector<T>(Momentum);
                buffer = FirstStep ? d : buffer * momentum + d * new Vector<T>(OneMinusDampening); // b ← μb + (1 − τ)g
                d = Nesterov ? d + buffer * momentum : buffer;                 // g ← g + μb, or b
            }
            param += d * new Vector<T>(NegativeLr);                            // θ ← θ − γg
        }
    }

    /// <summary>Adam and AdamW; a = exp_avg, b = exp_avg_sq, c = max_exp_avg_sq.</summary>
    internal readonly record struct Adam<T>(T Beta1, T OneMinusBeta1, T Beta2, T OneMinusBeta2, T BiasCorrection2Sqrt,
                                            T Eps, T NegativeStepSize, T WeightDecay, T DecayFactor,
                                            bool Decoupled, bool HasWeightDecay, bool Amsgrad, bool Maximize) : IVectorUpdate<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply(ref Vector<T> param, Vector<T> grad, ref Vector<T> expAvg, ref Vector<T> expAvgSq, ref Vector<T> maxExpAvgSq)
        {
            if (Decoupled) param *= new Vector<T>(DecayFactor);               // θ ← θ(1 − γλ)
            var g = Gradient(grad, param, Maximize, !Decoupled && HasWeightDecay, new Vector<T>(WeightDecay));
            expAvg = expAvg * new Vector<T>(Beta1) + g * new Vector<T>(OneMinusBeta1);          // m ← β₁m + (1 − β₁)g
            expAvgSq = expAvgSq * new Vector<T>(Beta2) + g * g * new Vector<T>(OneMinusBeta2);  // v ← β₂v + (1 − β₂)g²
            var second = expAvgSq;
            if (Amsgrad) second = maxExpAvgSq = Vector.Max(maxExpAvgSq, expAvgSq);             // v̂max ← max(v̂max, v)
            var denom = Vector.SquareRoot(second) / new Vector<T>(BiasCorrection2Sqrt) + new Vector<T>(Eps);
            param += expAvg / denom * new Vector<T>(NegativeStepSize);                          // θ ← θ − γ/(1 − β₁ᵗ) · m/denom
        }
    }

    /// <summary>Adagrad; a = sum. <c>NegativeClr</c> = −γ/(1 + (t − 1)η).</summary>
    internal readonly record struct Adagrad<T>(T NegativeClr, T Eps, T WeightDecay, bool HasWeightDecay, bool Maximize) : IVectorUpdate<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply(ref Vector<T> param, Vector<T> grad, ref Vector<T> sum, ref Vector<T> b, ref Vector<T> c)
        {
            var g = Gradient(grad, param, Maximize, HasWeightDecay, new Vector<T>(WeightDecay));
            sum += g * g;                                                       // s ← s + g²
            var std = Vector.SquareRoot(sum) + new Vector<T>(Eps);             // √s + ε
            param += g / std * new Vector<T>(NegativeClr);                     // θ ← θ − γ̃ g/(√s + ε)
        }
    }

    /// <summary>RMSprop; a = square_avg, b = grad_avg (centered), c = momentum_buffer.</summary>
    internal readonly record struct RMSprop<T>(T NegativeLr, T Alpha, T OneMinusAlpha, T Eps, T Momentum, T WeightDecay,
                                               bool Centered, bool HasMomentum, bool HasWeightDecay, bool Maximize) : IVectorUpdate<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply(ref Vector<T> param, Vector<T> grad, ref Vector<T> squareAvg, ref Vector<T> gradAvg, ref Vector<T> buffer)
        {
            var g = Gradient(grad, param, Maximize, HasWeightDecay, new Vector<T>(WeightDecay));
            var alpha = new Vector<T>(Alpha);
            var oneMinusAlpha = new Vector<T>(OneMinusAlpha);
            squareAvg = squareAvg * alpha + g * g * oneMinusAlpha;             // v ← αv + (1 − α)g²
            Vector<T> avg;
            if (Centered)
            {
                gradAvg = gradAvg * alpha + g * oneMinusAlpha;                 // ḡ ← αḡ + (1 − α)g
                avg = Vector.SquareRoot(squareAvg - gradAvg * gradAvg);        // √(v − ḡ²)
            }
            else avg = Vector.SquareRoot(squareAvg);
            avg += new Vector<T>(Eps);
            if (HasMomentum)
            {
                buffer = buffer * new Vector<T>(Momentum) + g / avg;           // b ← μb + g/d
                param += buffer * new Vector<T>(NegativeLr);                   // θ ← θ − γb
            }
            else param += g / avg * new Vector<T>(NegativeLr);                 // θ ← θ − γ g/d
        }
    }

    /// <summary>Adadelta; a = square_avg, b = acc_delta.</summary>
    internal readonly record struct Adadelta<T>(T NegativeLr, T Rho, T OneMinusRho, T Eps, T WeightDecay, bool HasWeightDecay, bool Maximize) : IVectorUpdate<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply(ref Vector<T> param, Vector<T> grad, ref Vector<T> squareAvg, ref Vector<T> accDelta, ref Vector<T> c)
        {
            var g = Gradient(grad, param, Maximize, HasWeightDecay, new Vector<T>(WeightDecay));
            var rho = new Vector<T>(Rho);
            var oneMinusRho = new Vector<T>(OneMinusRho);
            var eps = new Vector<T>(Eps);
            squareAvg = squareAvg * rho + g * g * oneMinusRho;                 // v ← ρv + (1 − ρ)g²
            var std = Vector.SquareRoot(squareAvg + eps);                      // √(v + ε)
            var delta = Vector.SquareRoot(accDelta + eps) / std * g;           // Δ ← √(u + ε)/√(v + ε) · g
            accDelta = accDelta * rho + delta * delta * oneMinusRho;           // u ← ρu + (1 − ρ)Δ²
            param += delta * new Vector<T>(NegativeLr);                        // θ ← θ − γΔ
        }
    }
}
