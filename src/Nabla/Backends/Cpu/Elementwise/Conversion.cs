using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu;

/// <summary>Strided copies with dtype conversion: the kernel behind <c>Contiguous</c>, <c>To(dtype)</c> and <c>Copy_</c>.</summary>
internal static class Conversion
{
    /// <summary>
    /// Copies the strided source (operand 1 of <paramref name="layout"/>) into the destination
    /// (operand 0), converting element types like PyTorch: float→int truncates toward zero,
    /// anything→bool is "not zero".
    /// </summary>
    public static void Copy(RowLayout layout, Array source, Array destination)
    {
        switch (source)
        {
            case float[] s: From(layout, s, destination); break;
            case double[] s: From(layout, s, destination); break;
            case long[] s: From(layout, s, destination); break;
            case int[] s: From(layout, s, destination); break;
            case byte[] s: From(layout, s, destination); break;
            case bool[] s:
                // Bool is stored one byte per element, 0 or 1: copy it as UInt8 and convert from there.
                var bytes = System.Runtime.CompilerServices.Unsafe.As<byte[]>(s);
                if (destination is bool[] d) Elementwise.Map(layout, s, d, static (x, y) => x.CopyTo(y));
                else From(layout, bytes, destination);
                break;
            default: throw new NotSupportedException(source.GetType().Name);
        }
    }

    static void From<TFrom>(RowLayout layout, TFrom[] source, Array destination) where TFrom : unmanaged, INumber<TFrom>
    {
        switch (destination)
        {
            case float[] d: Elementwise.Map(layout, source, d, Convert); break;
            case double[] d: Elementwise.Map(layout, source, d, Convert); break;
            case long[] d: Elementwise.Map(layout, source, d, Convert); break;
            case int[] d: Elementwise.Map(layout, source, d, Convert); break;
            case byte[] d: Elementwise.Map(layout, source, d, Convert); break;
            case bool[] d: Elementwise.Map(layout, source, d, static (x, y) => { for (int i = 0; i < x.Length; i++) y[i] = x[i] != TFrom.Zero; }); break;
            default: throw new NotSupportedException(destination.GetType().Name);
        }
    }

    static bool IsInteger<T>() => typeof(T) == typeof(long) || typeof(T) == typeof(int) || typeof(T) == typeof(byte);

    static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> x, Span<TTo> y) where TFrom : unmanaged, INumber<TFrom> where TTo : unmanaged, INumber<TTo>
    {
        if (typeof(TFrom) == typeof(TTo)) System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, TTo>(x).CopyTo(y);
        else if (IsInteger<TTo>())
        {
            // Like C casts in PyTorch: floats truncate toward zero (through Int64), integers keep their low bits (wrap).
            for (int i = 0; i < x.Length; i++)
                y[i] = IsInteger<TFrom>() ? TTo.CreateTruncating(x[i]) : TTo.CreateTruncating(long.CreateSaturating(x[i]));
        }
        else TensorPrimitives.ConvertTruncating(x, y);
    }
}
