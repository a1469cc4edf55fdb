using System.Numerics;

namespace Nabla.Backends.Cpu;

/// <summary>Row kernels of the activations that take a parameter (a slope, an α), so they are not <see cref="IFloatRow"/> structs.</summary>
internal static class Activations
{
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
