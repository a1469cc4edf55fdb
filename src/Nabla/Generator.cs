using System.Buffers.Binary;
using System.Numerics;

namespace Nabla;

/// <summary>
/// A seedable pseudo-random generator (xoshiro256**), like <c>torch.Generator</c>. Every random
/// function in Nabla takes an optional generator; without one it uses <see cref="Default"/>, so
/// one call to <see cref="ManualSeed"/> makes a whole program reproducible.
/// </summary>
public sealed class Generator
{
    ulong s0, s1, s2, s3;

    /// <summary>The generator random functions use when none is passed.</summary>
    public static Generator Default { get; } = new(0x5EED_0F_AB1A);

    /// <summary>Seeds the default generator (<c>torch.manual_seed</c>).</summary>
    public static void ManualSeed(long seed) => Default.Seed(seed);

    /// <summary>A generator seeded with <paramref name="seed"/>.</summary>
    public Generator(long seed) => Seed(seed);

    /// <summary>Re-seeds this generator; the same seed gives the same sequence.</summary>
    public void Seed(long seed)
    {
        // SplitMix64 spreads the seed over the four state words, as xoshiro's authors recommend.
        ulong x = (ulong)seed;
        s0 = SplitMix(ref x); s1 = SplitMix(ref x); s2 = SplitMix(ref x); s3 = SplitMix(ref x);

        static ulong SplitMix(ref ulong x)
        {
            ulong z = x += 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }
    }

    /// <summary>The full state (32 bytes), for checkpoints.</summary>
    public byte[] GetState()
    {
        var state = new byte[32];
        BinaryPrimitives.WriteUInt64LittleEndian(state.AsSpan(0), s0);
        BinaryPrimitives.WriteUInt64LittleEndian(state.AsSpan(8), s1);
        BinaryPrimitives.WriteUInt64LittleEndian(state.AsSpan(16), s2);
        BinaryPrimitives.WriteUInt64LittleEndian(state.AsSpan(24), s3);
        return state;
    }

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    public void SetState(ReadOnlySpan<byte> state)
    {
        if (state.Length != 32) throw new ArgumentException($"Generator.SetState: expected 32 bytes, got {state.Length}.", nameof(state));
        s0 = BinaryPrimitives.ReadUInt64LittleEndian(state);
        s1 = BinaryPrimitives.ReadUInt64LittleEndian(state[8..]);
        s2 = BinaryPrimitives.ReadUInt64LittleEndian(state[16..]);
        s3 = BinaryPrimitives.ReadUInt64LittleEndian(state[24..]);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = BitOperations.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform integer in [0, bound) without modulo bias (Lemire's method).</summary>
    public long NextInt64(long bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), "bound must be positive");
        ulong range = (ulong)bound;
        ulong threshold = (0 - range) % range;
        while (true)
        {
            ulong high = Math.BigMul(NextUInt64(), range, out ulong low);
            if (low >= threshold) return (long)high;
        }
    }

    /// <summary>Fills with uniform values in [low, high).</summary>
    public void FillUniform(Span<float> values, float low = 0, float high = 1)
    {
        float scale = high - low;
        for (int i = 0; i < values.Length; i++) values[i] = low + scale * NextSingle();
    }

    /// <inheritdoc cref="FillUniform(Span{float}, float, float)"/>
    public void FillUniform(Span<double> values, double low = 0, double high = 1)
    {
        double scale = high - low;
        for (int i = 0; i < values.Length; i++) values[i] = low + scale * NextDouble();
    }

    /// <summary>Fills with normal values N(mean, std²) by the Box–Muller transform, two at a time.</summary>
    public void FillNormal(Span<double> values, double mean = 0, double std = 1)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            // u1 in (0, 1] so that the logarithm is finite.
            double u1 = 1.0 - NextDouble(), u2 = NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            (double sin, double cos) = Math.SinCos(2.0 * Math.PI * u2);
            values[i] = mean + std * radius * cos;
            if (i + 1 < values.Length) values[i + 1] = mean + std * radius * sin;
        }
    }

    /// <inheritdoc cref="FillNormal(Span{double}, double, double)"/>
    public void FillNormal(Span<float> values, float mean = 0, float std = 1)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double u1 = 1.0 - NextDouble(), u2 = NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            (double sin, double cos) = Math.SinCos(2.0 * Math.PI * u2);
            values[i] = (float)(mean + std * radius * cos);
            if (i + 1 < values.Length) values[i + 1] = (float)(mean + std * radius * sin);
        }
    }
}
