using System.Numerics;
using System.Runtime.InteropServices;

namespace Nabla.Backends.Cpu;

/// <summary>Scalars of one SGD update, already converted to the parameter's element type.</summary>
internal readonly record struct SgdScalars<T>(T Lr, T Momentum, T OneMinusDampening, T WeightDecay,
                                              bool HasMomentum, bool FirstStep, bool Nesterov, bool Maximize, bool HasWeightDecay);

/// <summary>Scalars of one Adam/AdamW update, already converted to the parameter's element type.</summary>
internal readonly record struct AdamScalars<T>(T Beta1, T OneMinusBeta1, T Beta2, T OneMinusBeta2, T BiasCorrection2Sqrt,
                                               T Eps, T NegativeStepSize, T WeightDecay, T DecayFactor,
                                               bool Decoupled, bool HasWeightDecay, bool Amsgrad, bool Maximize);

/// <summary>
/// Fused optimizer updates over contiguous buffers: one pass over memory instead of one per tensor op.
/// Each kernel performs exactly the roundings of the optimizer's tensor-op formulation (same operations,
/// same order, in the element type), so fused and unfused steps give bit-identical results.
/// Vectorized with <see cref="Vector{T}"/>; the tail runs through the same vector code on a padded copy.
/// </summary>
internal static class OptimizerKernels
{
    /// <summary>One SGD step; <paramref name="buffer"/> is the momentum buffer (empty without momentum).</summary>
    public static void Sgd<T>(Span<T> param, ReadOnlySpan<T> grad, Span<T> buffer, in SgdScalars<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count, full = param.Length - param.Length % width;
        SgdVectors(param[..full], grad[..full], s.HasMomentum ? buffer[..full] : default, s);
        int tail = param.Length - full;
        if (tail == 0) return;
        Span<T> p = stackalloc T[width], g = stackalloc T[width], b = stackalloc T[width];
        param[full..].CopyTo(p);
        grad[full..].CopyTo(g);
        if (s.HasMomentum) buffer[full..].CopyTo(b);
        SgdVectors(p, g, s.HasMomentum ? b : default, s);
        p[..tail].CopyTo(param[full..]);
        if (s.HasMomentum) b[..tail].CopyTo(buffer[full..]);
    }

    static void SgdVectors<T>(Span<T> param, ReadOnlySpan<T> grad, Span<T> buffer, in SgdScalars<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = MemoryMarshal.Cast<T, Vector<T>>(param);
        var g = MemoryMarshal.Cast<T, Vector<T>>(grad);
        var b = MemoryMarshal.Cast<T, Vector<T>>(buffer);
        Vector<T> lr = new(s.Lr), momentum = new(s.Momentum), oneMinusDampening = new(s.OneMinusDampening), weightDecay = new(s.WeightDecay);
        for (int i = 0; i < p.Length; i++)
        {
            var d = s.Maximize ? Vector<T>.Zero - g[i] : g[i];
            if (s.HasWeightDecay) d += p[i] * weightDecay;                   // g ← g + λθ
            if (s.HasMomentum)
            {
                b[i] = s.FirstStep ? d : b[i] * momentum + d * oneMinusDampening; // b ← μb + (1 − τ)g
                d = s.Nesterov ? d + b[i] * momentum : b[i];                 // g ← g + μb, or b
            }
            p[i] += d * lr;                                                  // θ ← θ + (−γ)g  (Lr holds −γ)
        }
    }

    /// <summary>One Adam or AdamW step; <paramref name="maxExpAvgSq"/> is empty unless AMSGrad.</summary>
    public static void Adam<T>(Span<T> param, ReadOnlySpan<T> grad, Span<T> expAvg, Span<T> expAvgSq, Span<T> maxExpAvgSq, in AdamScalars<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count, full = param.Length - param.Length % width;
        AdamVectors(param[..full], grad[..full], expAvg[..full], expAvgSq[..full], s.Amsgrad ? maxExpAvgSq[..full] : default, s);
        int tail = param.Length - full;
        if (tail == 0) return;
        Span<T> p = stackalloc T[width], g = stackalloc T[width], m = stackalloc T[width], v = stackalloc T[width], vmax = stackalloc T[width];
        param[full..].CopyTo(p);
        grad[full..].CopyTo(g);
        expAvg[full..].CopyTo(m);
        expAvgSq[full..].CopyTo(v);
        if (s.Amsgrad) maxExpAvgSq[full..].CopyTo(vmax);
        AdamVectors(p, g, m, v, s.Amsgrad ? vmax : default, s);
        p[..tail].CopyTo(param[full..]);
        m[..tail].CopyTo(expAvg[full..]);
        v[..tail].CopyTo(expAvgSq[full..]);
        if (s.Amsgrad) vmax[..tail].CopyTo(maxExpAvgSq[full..]);
    }

    static void AdamVectors<T>(Span<T> param, ReadOnlySpan<T> grad, Span<T> expAvg, Span<T> expAvgSq, Span<T> maxExpAvgSq, in AdamScalars<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = MemoryMarshal.Cast<T, Vector<T>>(param);
        var g = MemoryMarshal.Cast<T, Vector<T>>(grad);
        var m = MemoryMarshal.Cast<T, Vector<T>>(expAvg);
        var v = MemoryMarshal.Cast<T, Vector<T>>(expAvgSq);
        var vmax = MemoryMarshal.Cast<T, Vector<T>>(maxExpAvgSq);
        Vector<T> beta1 = new(s.Beta1), oneMinusBeta1 = new(s.OneMinusBeta1), beta2 = new(s.Beta2), oneMinusBeta2 = new(s.OneMinusBeta2);
        Vector<T> biasCorrection2Sqrt = new(s.BiasCorrection2Sqrt), eps = new(s.Eps), negativeStepSize = new(s.NegativeStepSize);
        Vector<T> weightDecay = new(s.WeightDecay), decayFactor = new(s.DecayFactor);
        for (int i = 0; i < p.Length; i++)
        {
            var gi = s.Maximize ? Vector<T>.Zero - g[i] : g[i];
            if (s.Decoupled) p[i] *= decayFactor;                            // θ ← θ(1 − γλ)
            else if (s.HasWeightDecay) gi += p[i] * weightDecay;             // g ← g + λθ
            m[i] = m[i] * beta1 + gi * oneMinusBeta1;                        // m ← β₁m + (1 − β₁)g
            v[i] = v[i] * beta2 + gi * gi * oneMinusBeta2;                   // v ← β₂v + (1 − β₂)g²
            var second = v[i];
            if (s.Amsgrad) second = vmax[i] = Vector.Max(vmax[i], v[i]);     // v̂max ← max(v̂max, v)
            var denom = Vector.SquareRoot(second) / biasCorrection2Sqrt + eps;
            p[i] += m[i] / denom * negativeStepSize;                         // θ ← θ − γ/(1 − β₁ᵗ) · m/denom
        }
    }
}
