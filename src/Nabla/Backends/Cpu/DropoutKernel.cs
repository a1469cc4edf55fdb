using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Inverted dropout in one pass: y[n] = x[n]·scale when element n is kept, x[n]·0 otherwise. The decision for element n is a
/// counter-based hash of the seed and n (MurmurHash3's finaliser, as <see cref="Attention.Keeps"/>): its top 24 bits,
/// read as u ∈ [0, 1), keep the element when u ≥ p. No random state is advanced per element and no mask is stored: the
/// backward reapplies the same seed to the gradient, and any chunking of the work gives the same result.
/// </summary>
internal static class DropoutKernel
{
    static readonly bool Wide = CpuFeatures.Active >= CpuIsa.Avx512 && Vector512.IsHardwareAccelerated;
    static readonly bool Medium = CpuFeatures.Active >= CpuIsa.Avx2 && Vector256.IsHardwareAccelerated;

    /// <summary>The 24-bit threshold t with (h &gt;&gt; 8) ≥ t ⟺ (h &gt;&gt; 8)·2⁻²⁴ ≥ p.</summary>
    public static int Threshold(double p) => (int)Math.Ceiling(p * (1 << 24));

    /// <summary>The per-tensor key the element hashes start from.</summary>
    public static uint Key(ulong seed) => (uint)seed ^ (uint)(seed >> 32) * 0x9E3779B1u;

    /// <summary>Element <paramref name="index"/>'s 24 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Bits(uint key, uint index)
    {
        uint h = key ^ index * 0x27D4EB2Fu;
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        h ^= h >> 16;
        return (int)(h >> 8);
    }

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
                var h = vkey ^ (Vector512<uint>.Indices + Vector512.Create((uint)(first + n))) * Vector512.Create(0x27D4EB2Fu);
                h ^= Vector512.ShiftRightLogical(h, 16);
                h *= Vector512.Create(0x85EBCA6Bu);
                h ^= Vector512.ShiftRightLogical(h, 13);
                h *= Vector512.Create(0xC2B2AE35u);
                h ^= Vector512.ShiftRightLogical(h, 16);
                var kept = Vector512.GreaterThanOrEqual(Vector512.ShiftRightLogical(h, 8).AsInt32(), vthreshold).AsSingle();
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
                var h = vkey ^ (Vector256<uint>.Indices + Vector256.Create((uint)(first + n))) * Vector256.Create(0x27D4EB2Fu);
                h ^= Vector256.ShiftRightLogical(h, 16);
                h *= Vector256.Create(0x85EBCA6Bu);
                h ^= Vector256.ShiftRightLogical(h, 13);
                h *= Vector256.Create(0xC2B2AE35u);
                h ^= Vector256.ShiftRightLogical(h, 16);
                var kept = Vector256.GreaterThanOrEqual(Vector256.ShiftRightLogical(h, 8).AsInt32(), vthreshold).AsSingle();
                (Vector256.LoadUnsafe(ref xs, (nuint)n) * (vscale & kept)).StoreUnsafe(ref ys, (nuint)n);
            }
        }
        for (; n < count; n++)
            y[n] = x[n] * (Bits(key, (uint)(first + n)) >= threshold ? scale : 0); // x·0, as PyTorch: NaN stays NaN
    }

    /// <inheritdoc cref="Apply(ReadOnlySpan{float}, Span{float}, uint, int, int, float)"/>
    public static void Apply(ReadOnlySpan<double> x, Span<double> y, uint key, int first, int threshold, double scale)
    {
        for (int n = 0; n < x.Length; n++)
            y[n] = x[n] * (Bits(key, (uint)(first + n)) >= threshold ? scale : 0); // x·0, as PyTorch: NaN stays NaN
    }
}
