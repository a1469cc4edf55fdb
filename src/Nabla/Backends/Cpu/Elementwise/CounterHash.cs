using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The counter-based random draws of dropout, plain (<see cref="DropoutKernel"/>) and inside attention
/// (<see cref="Attention"/>): MurmurHash3's 32-bit finaliser over key ⊕ index·0x27D4EB2F, whose top 24 bits
/// are the draw. Counter-based, as FlashAttention's Philox: a backward regenerates the forward's decisions
/// from the key, no mask is stored, and any split of the work draws the same. Written once for the scalar and
/// vector paths, so every kernel path makes the same decisions.
/// </summary>
internal static class CounterHash
{
    /// <summary>The key a tensor's draws start from, folded from a 64-bit generator draw.</summary>
    public static uint Key(ulong seed) => (uint)seed ^ (uint)(seed >> 32) * 0x9E3779B1u;

    /// <summary>The 24 random bits of element <paramref name="index"/> under <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Bits(uint key, uint index)
    {
        uint h = key ^ index * 0x27D4EB2Fu;
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        h ^= h >> 16;
        return h >> 8;
    }

    /// <summary><see cref="Bits(uint, uint)"/> of the 16 elements <paramref name="first"/>, <paramref name="first"/> + 1, ….</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Bits(Vector512<uint> key, uint first)
    {
        var h = key ^ (Vector512<uint>.Indices + Vector512.Create(first)) * Vector512.Create(0x27D4EB2Fu);
        h ^= Vector512.ShiftRightLogical(h, 16);
        h *= Vector512.Create(0x85EBCA6Bu);
        h ^= Vector512.ShiftRightLogical(h, 13);
        h *= Vector512.Create(0xC2B2AE35u);
        h ^= Vector512.ShiftRightLogical(h, 16);
        return Vector512.ShiftRightLogical(h, 8);
    }

    /// <summary><see cref="Bits(uint, uint)"/> of the 8 elements <paramref name="first"/>, <paramref name="first"/> + 1, ….</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Bits(Vector256<uint> key, uint first)
    {
        var h = key ^ (Vector256<uint>.Indices + Vector256.Create(first)) * Vector256.Create(0x27D4EB2Fu);
        h ^= Vector256.ShiftRightLogical(h, 16);
        h *= Vector256.Create(0x85EBCA6Bu);
        h ^= Vector256.ShiftRightLogical(h, 13);
        h *= Vector256.Create(0xC2B2AE35u);
        h ^= Vector256.ShiftRightLogical(h, 16);
        return Vector256.ShiftRightLogical(h, 8);
    }
}
