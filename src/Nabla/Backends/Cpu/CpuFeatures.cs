using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

/// <summary>The instruction-set paths the CPU kernels are written for, from the most portable up.</summary>
internal enum CpuIsa
{
    /// <summary><c>Vector&lt;T&gt;</c> and scalar code only; runs everywhere.</summary>
    Portable = 0,

    /// <summary>AVX2 with FMA3: 16 ymm registers, 256-bit fused multiply-add.</summary>
    Avx2 = 1,

    /// <summary>AVX-512F: 32 zmm registers, 512-bit fused multiply-add.</summary>
    Avx512 = 2,
}

/// <summary>
/// Detects once which kernel path this machine runs. <c>NABLA_CPU_ISA</c> = <c>avx512</c> | <c>avx2</c> |
/// <c>portable</c> forces a lower path (a request above what the hardware supports is clamped down),
/// so a run can check or time the fallbacks on a machine that has the faster units.
/// </summary>
internal static class CpuFeatures
{
    /// <summary>The highest path the hardware and runtime support.</summary>
    public static CpuIsa Best { get; } = DetectBest();

    /// <summary>The path the kernels use: <see cref="Best"/>, lowered by <c>NABLA_CPU_ISA</c> when set.</summary>
    public static CpuIsa Active { get; } = Choose(Environment.GetEnvironmentVariable("NABLA_CPU_ISA"), Best);

    /// <summary>Whether <paramref name="isa"/> can run here (every path up to <see cref="Best"/>).</summary>
    public static bool IsSupported(CpuIsa isa) => isa <= Best;

    /// <summary>Every path that can run here, lowest first; tests run each of them explicitly.</summary>
    public static IReadOnlyList<CpuIsa> Supported { get; } =
        Enum.GetValues<CpuIsa>().Where(IsSupported).ToArray();

    /// <summary>
    /// The path for a requested name: the request when it is supported, else <paramref name="best"/>
    /// when the request is higher than the machine, or empty, or not a known name.
    /// </summary>
    internal static CpuIsa Choose(string? requested, CpuIsa best)
    {
        CpuIsa? wanted = requested?.Trim().ToLowerInvariant() switch
        {
            "avx512" => CpuIsa.Avx512,
            "avx2" => CpuIsa.Avx2,
            "portable" => CpuIsa.Portable,
            _ => null,
        };
        return wanted is { } isa && isa < best ? isa : best;
    }

    private static CpuIsa DetectBest()
    {
        if (Avx512F.IsSupported)
        {
            return CpuIsa.Avx512;
        }

        return Avx2.IsSupported && Fma.IsSupported ? CpuIsa.Avx2 : CpuIsa.Portable;
    }
}
