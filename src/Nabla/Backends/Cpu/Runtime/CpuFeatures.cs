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

    /// <summary>
    /// Ways of associativity of the L1 data cache (12 on Zen 5 and recent Intel cores, 8 on Zen 4), from CPUID;
    /// 0 when the processor or hypervisor does not say. The GEMM reads A's rows in place only with 12 ways or more.
    /// </summary>
    public static int L1DataWays { get; } = DetectL1DataWays();

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

    private static int DetectL1DataWays()
    {
        if (!X86Base.IsSupported)
        {
            return 0;
        }

        // AMD: leaf 0x8000_0005, ECX bits 23–16 (0xFF: fully associative).
        if ((uint)X86Base.CpuId(unchecked((int)0x8000_0000), 0).Eax >= 0x8000_0005)
        {
            int ways = (X86Base.CpuId(unchecked((int)0x8000_0005), 0).Ecx >> 16) & 0xFF;
            if (ways != 0)
            {
                return ways;
            }
        }

        // Intel: leaf 4 lists the caches; the level-1 data cache (type 1) has ways − 1 in EBX bits 31–22.
        if (X86Base.CpuId(0, 0).Eax >= 4)
        {
            for (int index = 0; index < 8; index++)
            {
                var (eax, ebx, _, _) = X86Base.CpuId(4, index);
                int type = eax & 0x1F, level = (eax >> 5) & 0x7;
                if (type == 0)
                {
                    break;
                }

                if (type == 1 && level == 1)
                {
                    return ((ebx >> 22) & 0x3FF) + 1;
                }
            }
        }

        return 0;
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
