using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>The choice of kernel path and its <c>NABLA_CPU_ISA</c> override.</summary>
public class CpuFeaturesTests
{
    [Theory]
    [InlineData("avx2", "Avx512", "Avx2")]
    [InlineData("portable", "Avx2", "Portable")]
    [InlineData("AVX512", "Avx2", "Avx2")]   // never above what the machine has
    [InlineData(null, "Avx512", "Avx512")]
    [InlineData("sse9", "Avx2", "Avx2")]
    public void CpuFeatures_request_lowers_but_never_raises_the_path(string? requested, string best, string expected) =>
        Assert.Equal(Enum.Parse<CpuIsa>(expected), CpuFeatures.Choose(requested, Enum.Parse<CpuIsa>(best)));

    [Fact]
    public void CpuFeatures_active_path_is_supported()
    {
        Assert.True(CpuFeatures.IsSupported(CpuFeatures.Active));
        Assert.Contains(CpuIsa.Portable, CpuFeatures.Supported);
    }
}
