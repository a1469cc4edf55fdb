using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>Row kernels of the activations that take a parameter (a slope, an α), so they are not <see cref="IFloatRow"/> structs.</summary>
internal static class Activations
{
    /// <summary>
    /// d = x for x &gt; 0, else slope·x, for float32 a vector select: the scalar loop's branch on the sign mispredicted on every
    /// other element of a layer's pre-activations (DCGAN's discriminator spent ~7% of its iteration there).
    /// </summary>
    public static void LeakyRelu(ReadOnlySpan<float> x, Span<float> d, float slope)
    {
        ref float source = ref MemoryMarshal.GetReference(x);
        ref float target = ref MemoryMarshal.GetReference(d);
        int i = 0;
        if (CpuFeatures.Active >= CpuIsa.Avx512 && Vector512.IsHardwareAccelerated)
        {
            var factor = Vector512.Create(slope);
            for (; i + Vector512<float>.Count <= x.Length; i += Vector512<float>.Count)
            {
                var v = Vector512.LoadUnsafe(ref source, (nuint)i);
                Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, v * factor).StoreUnsafe(ref target, (nuint)i);
            }
        }
        else if (CpuFeatures.Active >= CpuIsa.Avx2 && Vector256.IsHardwareAccelerated)
        {
            var factor = Vector256.Create(slope);
            for (; i + Vector256<float>.Count <= x.Length; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref source, (nuint)i);
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * factor).StoreUnsafe(ref target, (nuint)i);
            }
        }
        for (; i < x.Length; i++) d[i] = x[i] > 0 ? x[i] : x[i] * slope;
    }

    /// <summary>d = x for x &gt; 0, else slope·x.</summary>
    public static void LeakyRelu<T>(ReadOnlySpan<T> x, Span<T> d, T slope) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = x[i] > T.Zero ? x[i] : x[i] * slope;
    }

    /// <summary>d = x for x &gt; 0, else α(eˣ − 1).</summary>
    public static void Elu<T>(ReadOnlySpan<T> x, Span<T> d, T alpha) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) d[i] = x[i] > T.Zero ? x[i] : alpha * (T.Exp(x[i]) - T.One);
    }
}
