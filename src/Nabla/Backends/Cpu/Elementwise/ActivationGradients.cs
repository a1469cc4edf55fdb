using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu;

/// <summary>An activation's derivative expressed through its output y = f(x), for fused backward passes.</summary>
internal interface IActivationGradient
{
    /// <summary>g·f'(y) for one element, in double: the rule's definition, which the reference backend runs in plain loops.</summary>
    static abstract double Scalar(double g, double y);

    /// <summary>destination = g ⊙ f'(y).</summary>
    static abstract void Apply<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>destination = f'(y).</summary>
    static abstract void Derivative<T>(ReadOnlySpan<T> y, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>The fused derivatives of Sigmoid, Tanh and Relu (one pass over memory instead of three).</summary>
internal static class ActivationGradients
{
    /// <summary>σ'(x) = y(1 − y).</summary>
    public struct Sigmoid : IActivationGradient
    {
        public static double Scalar(double g, double y) => g * y * (1 - y);

        public static void Apply<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            Derivative(y, d);
            TensorPrimitives.Multiply(d, g, d);
        }

        public static void Derivative<T>(ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Negate(y, d);            // d = −y
            TensorPrimitives.MultiplyAdd(y, d, y, d); // d = y·(−y) + y = y(1 − y)
        }
    }

    /// <summary>tanh'(x) = 1 − y².</summary>
    public struct Tanh : IActivationGradient
    {
        public static double Scalar(double g, double y) => g * (1 - y * y);

        public static void Apply<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            Derivative(y, d);
            TensorPrimitives.Multiply(d, g, d);
        }

        public static void Derivative<T>(ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Multiply(y, y, d);
            TensorPrimitives.Subtract(T.One, d, d);
        }
    }

    /// <summary>relu'(x) = 1 where y &gt; 0, else 0.</summary>
    public struct Relu : IActivationGradient
    {
        public static double Scalar(double g, double y) => y > 0 ? g : 0;

        public static void Apply<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated)
                for (; i <= d.Length - Vector<T>.Count; i += Vector<T>.Count)
                {
                    var positive = Vector.GreaterThan(new Vector<T>(y[i..]), Vector<T>.Zero);
                    Vector.ConditionalSelect(positive, new Vector<T>(g[i..]), Vector<T>.Zero).CopyTo(d[i..]);
                }
            for (; i < d.Length; i++) d[i] = y[i] > T.Zero ? g[i] : T.Zero;
        }

        public static void Derivative<T>(ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < d.Length; i++) d[i] = y[i] > T.Zero ? T.One : T.Zero;
        }
    }

    /// <summary>
    /// leaky_relu'(x) = 1 where x &gt; 0, else the slope: destination = x &gt; 0 ? g : slope·g in one pass (the composite
    /// Where(x &gt; 0, g, g·slope) reads and writes memory three times and allocates a mask). From x, not y, so any slope works.
    /// </summary>
    public static void LeakyRelu<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, T slope, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var slopes = new Vector<T>(slope);
            for (; i <= d.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var gradient = new Vector<T>(g[i..]);
                var positive = Vector.GreaterThan(new Vector<T>(x[i..]), Vector<T>.Zero);
                Vector.ConditionalSelect(positive, gradient, gradient * slopes).CopyTo(d[i..]);
            }
        }
        for (; i < d.Length; i++) d[i] = x[i] > T.Zero ? g[i] : g[i] * slope;
    }
}
