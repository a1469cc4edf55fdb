using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu;

/// <summary>A binary arithmetic row op, defined for every numeric element type.</summary>
internal interface IArithmeticRow
{
    /// <summary>f(x, y) for one pair of elements: the op's definition, which the reference backend runs in plain loops.</summary>
    static abstract T Scalar<T>(T x, T y) where T : unmanaged, INumber<T>;
    static abstract void Row<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) where T : unmanaged, INumber<T>;
    /// <summary>destination = f(x, y) with y one value (a broadcast scalar operand).</summary>
    static abstract void RowScalar<T>(ReadOnlySpan<T> x, T y, Span<T> destination) where T : unmanaged, INumber<T>;
    /// <summary>destination = f(x, y) with x one value.</summary>
    static abstract void ScalarRow<T>(T x, ReadOnlySpan<T> y, Span<T> destination) where T : unmanaged, INumber<T>;
}

/// <summary>A unary row op on floating-point elements.</summary>
internal interface IFloatRow
{
    /// <summary>f(x) for one element, in double: the op's definition, which the reference backend runs in plain loops.</summary>
    static abstract double Scalar(double x);
    static abstract void Row<T>(ReadOnlySpan<T> x, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>A comparison row op giving booleans.</summary>
internal interface ICompareRow
{
    static abstract bool Compare<T>(T x, T y) where T : unmanaged, INumber<T>;
}

/// <summary>The row ops themselves: one small struct per op, mostly one <c>TensorPrimitives</c> call.</summary>
internal static class RowOps
{
    public struct Add : IArithmeticRow
    {
        public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x + y;
        public static void Row<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Add(x, y, d);
        public static void RowScalar<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Add(x, y, d);
        public static void ScalarRow<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Add(y, x, d);
    }
    public struct Subtract : IArithmeticRow
    {
        public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x - y;
        public static void Row<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(x, y, d);
        public static void RowScalar<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(x, y, d);
        public static void ScalarRow<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(x, y, d);
    }
    public struct Multiply : IArithmeticRow
    {
        public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x * y;
        public static void Row<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(x, y, d);
        public static void RowScalar<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(x, y, d);
        public static void ScalarRow<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(y, x, d);
    }
    public struct Divide : IArithmeticRow
    {
        public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => x / y;
        public static void Row<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(x, y, d);
        public static void RowScalar<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(x, y, d);
        public static void ScalarRow<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(x, y, d);
    }
    /// <summary>Elementwise maximum that propagates NaN, like <c>torch.maximum</c>.</summary>
    public struct Maximum : IArithmeticRow
    {
        public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => T.Max(x, y);
        public static void Row<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Max(x, y, d);
        public static void RowScalar<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Max(x, y, d);
        public static void ScalarRow<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Max(y, x, d);
    }
    /// <summary>Elementwise minimum that propagates NaN, like <c>torch.minimum</c>.</summary>
    public struct Minimum : IArithmeticRow
    {
        public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => T.Min(x, y);
        public static void Row<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Min(x, y, d);
        public static void RowScalar<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Min(x, y, d);
        public static void ScalarRow<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TensorPrimitives.Min(y, x, d);
    }

    /// <summary>An elementwise function of two numbers that has no vectorised primitive.</summary>
    public interface IScalarFunction
    {
        static abstract T Apply<T>(T x, T y) where T : unmanaged, INumber<T>;
    }

    /// <summary>Row op applying <typeparamref name="TFunction"/> one element at a time (the JIT inlines it; no virtual call).</summary>
    public struct ScalarLoop<TFunction> : IArithmeticRow where TFunction : IScalarFunction
    {
        public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T> => TFunction.Apply(x, y);
        public static void Row<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T>
        {
            for (int i = 0; i < d.Length; i++) d[i] = TFunction.Apply(x[i], y[i]);
        }
        public static void RowScalar<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T>
        {
            for (int i = 0; i < d.Length; i++) d[i] = TFunction.Apply(x[i], y);
        }
        public static void ScalarRow<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T>
        {
            for (int i = 0; i < d.Length; i++) d[i] = TFunction.Apply(x, y[i]);
        }
    }

    /// <summary>Quotient rounded toward zero (<c>div(rounding_mode='trunc')</c>); integers divide exactly.</summary>
    public struct TruncQuotient : IScalarFunction
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T> =>
            !IsFloat<T>() ? a / b : T.CreateTruncating(Math.Truncate(double.CreateTruncating(a) / double.CreateTruncating(b)));
    }

    /// <summary>Quotient rounded toward −∞ (<c>div(rounding_mode='floor')</c>, Python's <c>//</c>), with PyTorch's fmod-based rule for floats.</summary>
    public struct FloorQuotient : IScalarFunction
    {
        public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T>
        {
            if (!IsFloat<T>())
            {
                T q = a / b;
                // Integer division truncates; step down when the signs differ and there is a remainder.
                if (q * b != a && (a < T.Zero) != (b < T.Zero)) q -= T.One;
                return q;
            }
            double x = double.CreateTruncating(a), y = double.CreateTruncating(b);
            if (y == 0) return T.CreateTruncating(x / y);
            double mod = x % y; // C#'s % on doubles is C's fmod
            double div = (x - mod) / y;
            if (mod != 0 && (y < 0) != (mod < 0)) div -= 1;
            double floor = Math.Floor(div);
            if (div - floor > 0.5) floor += 1;
            return T.CreateTruncating(div == 0 ? Math.CopySign(0.0, x / y) : floor);
        }
    }

    /// <summary>Integer power by repeated squaring in the element type, wrapping on overflow like PyTorch's.</summary>
    public struct IntegerPower : IScalarFunction
    {
        public static T Apply<T>(T @base, T exponent) where T : unmanaged, INumber<T>
        {
            if (exponent < T.Zero)
                throw new ArgumentException("Pow: integers to negative integer powers are not allowed.");
            T result = T.One;
            ulong e = ulong.CreateTruncating(exponent);
            while (e != 0)
            {
                if ((e & 1) != 0) result = unchecked(result * @base);
                @base = unchecked(@base * @base);
                e >>= 1;
            }
            return result;
        }
    }

    static bool IsFloat<T>() => typeof(T) == typeof(float) || typeof(T) == typeof(double);

    public struct Floor : IFloatRow
    {
        public static double Scalar(double x) => Math.Floor(x);
        public static void Row<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Floor(x, d);
    }
    public struct Ceiling : IFloatRow
    {
        public static double Scalar(double x) => Math.Ceiling(x);
        public static void Row<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Ceiling(x, d);
    }
    public struct Truncate : IFloatRow
    {
        public static double Scalar(double x) => Math.Truncate(x);
        public static void Row<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Truncate(x, d);
    }
    /// <summary>Round half to even, like <c>torch.round</c>.</summary>
    public struct Round : IFloatRow
    {
        public static double Scalar(double x) => Math.Round(x, MidpointRounding.ToEven);
        public static void Row<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Round(x, MidpointRounding.ToEven, d);
    }

    public struct Exp : IFloatRow
    {
        public static double Scalar(double x) => Math.Exp(x);
        public static void Row<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Exp(x, d);
    }
    public struct Log : IFloatRow
    {
        public static double Scalar(double x) => Math.Log(x);
        public static void Row<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Log(x, d);
    }
    public struct Log1p : IFloatRow
    {
        public static double Scalar(double x) => LogOnePlus(x);
        public static void Row<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.LogP1(x, d);
    }
    public struct Sqrt : IFloatRow
    {
        public static double Scalar(double x) => Math.Sqrt(x);
        public static void Row<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sqrt(x, d);
    }
    public struct Sigmoid : IFloatRow
    {
        public static double Scalar(double x) => 1 / (1 + Math.Exp(-x));
        public static void Row<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sigmoid(x, d);
    }
    public struct Tanh : IFloatRow
    {
        public static double Scalar(double x) => Math.Tanh(x);
        public static void Row<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Tanh(x, d);
    }
    public struct Sin : IFloatRow
    {
        public static double Scalar(double x) => Math.Sin(x);
        public static void Row<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sin(x, d);
    }
    public struct Cos : IFloatRow
    {
        public static double Scalar(double x) => Math.Cos(x);
        public static void Row<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Cos(x, d);
    }
    /// <summary>
    /// Mish (Misra 2019): x·tanh(softplus(x)). With e = eˣ and n = e(e + 2), tanh(ln(1 + e)) = n/(n + 2),
    /// which keeps its precision for very negative x (where ln(1 + e) rounds to 0); x &gt; 20 gives x (n would overflow).
    /// </summary>
    public struct Mish : IFloatRow
    {
        public static double Scalar(double x) => x > 20 ? x : x * Math.Tanh(LogOnePlus(Math.Exp(x)));
        public static void Row<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Exp(x, d);
            T two = T.One + T.One, threshold = T.CreateTruncating(20);
            for (int i = 0; i < d.Length; i++)
            {
                T n = d[i] * (d[i] + two);
                d[i] = x[i] > threshold ? x[i] : x[i] * n / (n + two);
            }
        }
    }

    /// <summary>The Gauss error function, erf(x) = 2/√π ∫₀ˣ e^(−t²) dt.</summary>
    public struct Erf : IFloatRow
    {
        public static double Scalar(double x) => ErrorFunction(x);
        public static void Row<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < x.Length; i++) d[i] = T.CreateTruncating(ErrorFunction(double.CreateTruncating(x[i])));
        }
    }

    public struct Equal : ICompareRow { public static bool Compare<T>(T x, T y) where T : unmanaged, INumber<T> => x == y; }
    public struct NotEqual : ICompareRow { public static bool Compare<T>(T x, T y) where T : unmanaged, INumber<T> => x != y; }
    public struct Greater : ICompareRow { public static bool Compare<T>(T x, T y) where T : unmanaged, INumber<T> => x > y; }
    public struct GreaterEqual : ICompareRow { public static bool Compare<T>(T x, T y) where T : unmanaged, INumber<T> => x >= y; }
    public struct Less : ICompareRow { public static bool Compare<T>(T x, T y) where T : unmanaged, INumber<T> => x < y; }
    public struct LessEqual : ICompareRow { public static bool Compare<T>(T x, T y) where T : unmanaged, INumber<T> => x <= y; }

    /// <summary>ln(1 + x) without losing small x to the rounding of 1 + x (Goldberg 1991, "What every computer scientist should know…", thm. 4).</summary>
    public static double LogOnePlus(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : double.IsPositiveInfinity(u) ? u : Math.Log(u) * x / (u - 1);
    }

    /// <summary>
    /// erf to about 1e-15 relative: the Maclaurin series for |x| &lt; 2.5, and the continued
    /// fraction of erfc (Abramowitz &amp; Stegun 7.1.14, evaluated by Lentz's method) beyond.
    /// </summary>
    public static double ErrorFunction(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        if (ax < 2.5)
        {
            // erf x = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
            double sum = 0, term = ax, x2 = ax * ax;
            for (int n = 0; n < 100; n++)
            {
                double contribution = term / (2 * n + 1);
                sum += contribution;
                if (Math.Abs(contribution) < 1e-17 * Math.Abs(sum)) break;
                term *= -x2 / (n + 1);
            }
            return Math.CopySign(sum * 2 / Math.Sqrt(Math.PI), x);
        }
        if (ax > 6) return Math.CopySign(1.0, x);
        // erfc x = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
        const double tiny = 1e-300;
        double f = ax, c = ax, dd = 0;
        for (int k = 1; k < 200; k++)
        {
            double a = k / 2.0;
            dd = ax + a * dd;
            dd = Math.Abs(dd) < tiny ? tiny : dd;
            c = ax + a / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            dd = 1 / dd;
            double delta = c * dd;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        double erfc = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        return Math.CopySign(1 - erfc, x);
    }
}
