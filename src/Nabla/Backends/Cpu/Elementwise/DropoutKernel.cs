using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Inverted dropout in one pass: y[n] = x[n]·scale when element n is kept, x[n]·0 otherwise. The decision for element n is a
/// counter-based hash of the seed and n (<see cref="CounterHash"/>, as <see cref="Attention.Keeps"/>): its top 24 bits,
/// read as u ∈ [0, 1), keep the element when u ≥ p. No random state is advanced per element and no mask is stored: the
/// backward reapplies the same seed to the gradient, and any chunking of the work gives the same result.
/// </summary>
internal static class DropoutKernel
{
    static readonly bool Wide = CpuFeatures.Active >= CpuIsa.Avx512 && Vector512.IsHardwareAccelerated;
    static readonly bool Medium = CpuFeatures.Active >= CpuIsa.Avx2 && Vector256.IsHardwareAccelerated;

    /// <summary>The 24-bit threshold t with (h &gt;&gt; 8) ≥ t ⟺ (h &gt;&gt; 8)·2⁻²⁴ ≥ p.</summary>
    public static int Threshold(double p) => (int)Math.Ceiling(p * (1 << 24));

    /// <summary>y ← x ⊙ keep·scale for the elements first, first + 1, … of one tensor.</summary>
    public static void Apply(ReadOnlySpan<float> x, Span<float> y, uint key, int first, int threshold, float scale)
    {
        int n = 0, count = x.Length;
        ref float xs = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        ref float ys = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
        if (Wide)
        {
            var vkey = Vector512.Create(key);
            var vthreshold = Vector512.Create(threshold);
            var vscale = Vector512.Create(scale);
            for (; n + 16 <= count; n += 16)
            {
                var kept = Vector512.GreaterThanOrEqual(CounterHash.Bits(vkey, (uint)(first + n)).AsInt32(), vthreshold).AsSingle();
                (Vector512.LoadUnsafe(ref xs, (nuint)n) * (vscale & kept)).StoreUnsafe(ref ys, (nuint)n);
            }
        }
        else if (Medium)
        {
            var vkey = Vector256.Create(key);
            var vthreshold = Vector256.Create(threshold);
            var vscale = Vector256.Create(scale);
            for (; n + 8 <= count; n += 8)
            {
                var kept = Vector256.GreaterThanOrEqual(CounterHash.Bits(vkey, (uint)(first + n)).AsInt32(), vthreshold).AsSingle();
                (Vector256.LoadUnsafe(ref xs, (nuint)n) * (vscale & kept)).StoreUnsafe(ref ys, (nuint)n);
            }
        }
        for (; n < count; n++)
            y[n] = x[n] * (CounterHash.Bits(key, (uint)(first + n)) >= (uint)threshold ? scale : 0); // x·0, as PyTorch: NaN stays NaN
    }

    /// <inheritdoc cref="Apply(ReadOnlySpan{float}, Span{float}, uint, int, int, float)"/>
    public static void Apply(ReadOnlySpan<double> x, Span<double> y, uint key, int first, int threshold, double scale)
    {
        for (int n = 0; n < x.Length; n++)
            y[n] = x[n] * (CounterHash.Bits(key, (uint)(first + n)) >= (uint)threshold ? scale : 0); // x·0, as PyTorch: NaN stays NaN
    }
}
