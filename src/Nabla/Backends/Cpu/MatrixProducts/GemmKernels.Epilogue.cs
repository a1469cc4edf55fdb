using System.Numerics;
using System.Runtime.CompilerServices;

namespace Nabla.Backends.Cpu;

internal static unsafe partial class GemmKernels
{
    // erf(z) ≈ z·P(z²)/Q(z²) on z clamped to [−4, 4] (beyond it erf is ±1 in float): the rational approximation of
    // Eigen's generic_fast_erf_float, within 4e-7 of erf everywhere.
    private const double ErfP13 = -2.72614225801306e-10, ErfP11 = 2.77068142495902e-08, ErfP9 = -2.10102402082508e-06;
    private const double ErfP7 = -5.69250639462346e-05, ErfP5 = -7.34990630326855e-04, ErfP3 = -2.95459980854025e-03;
    private const double ErfP1 = -1.60960333262415e-02;
    private const double ErfQ8 = -1.45660718464996e-05, ErfQ6 = -2.13374055278905e-04, ErfQ4 = -1.68282697438203e-03;
    private const double ErfQ2 = -7.37332916720468e-03, ErfQ0 = -1.42647390514189e-02;

    /// <summary>
    /// C[j] = act(x[j] + bias[j]) for <paramref name="count"/> elements of a row of C whose sum is already in place (from column 0
    /// of <paramref name="epilogue"/>'s bias): the epilogue of rows no micro-kernel stores (a ragged last panel, an empty depth,
    /// a matrix–vector product), with the same vector arithmetic as the kernels' store.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ApplyEpilogue<T>(T* row, int count, in GemmEpilogue<T> epilogue)
        where T : unmanaged
    {
        if (epilogue.IsNone)
        {
            return;
        }

        int w = Vector<T>.Count;
        int j = 0;
        for (; j <= count - w; j += w)
        {
            StoreFinished<PortableLanes<T>, Vector<T>, T>(row + j, Vector.Load(row + j), false, epilogue.Bias == null ? null : epilogue.Bias + j, epilogue.Activation);
        }

        if (j < count)
        {
            // The tail through a whole vector aside, so that it gets the same arithmetic as the rest.
            T* values = stackalloc T[w];
            T* bias = stackalloc T[w];
            for (int i = 0; i < w; i++)
            {
                values[i] = j + i < count ? row[j + i] : default;
                bias[i] = epilogue.Bias != null && j + i < count ? epilogue.Bias[j + i] : default;
            }

            StoreFinished<PortableLanes<T>, Vector<T>, T>(values, Vector.Load(values), false, epilogue.Bias == null ? null : bias, epilogue.Activation);
            for (int i = 0; j + i < count; i++)
            {
                row[j + i] = values[i];
            }
        }
    }

    /// <summary>c = act(v (+ c when <paramref name="accumulate"/>) (+ bias when not null)) for one vector of a row of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFinished<TLanes, TVector, T>(T* c, TVector v, bool accumulate, T* bias, GemmActivation activation)
        where TLanes : struct, ILanes<TVector, T>
        where TVector : struct
        where T : unmanaged
    {
        if (accumulate)
        {
            v = TLanes.Add(v, TLanes.Load(c));
        }

        if (bias != null)
        {
            v = TLanes.Add(v, TLanes.Load(bias));
        }

        TLanes.Store(Activate<TLanes, TVector, T>(v, activation), c);
    }

    /// <summary>The activation of one vector; the switch is on one value per product, so it is predicted every time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Activate<TLanes, TVector, T>(TVector x, GemmActivation activation)
        where TLanes : struct, ILanes<TVector, T>
        where TVector : struct
        where T : unmanaged
    {
        switch (activation)
        {
            case GemmActivation.Relu:
                return TLanes.Max(x, default);
            case GemmActivation.Sigmoid:
                {
                    // 1 / (1 + e⁻ˣ): e⁻ˣ = ∞ for very negative x gives 0, as it should.
                    TVector one = TLanes.Constant(1);
                    return TLanes.Divide(one, TLanes.Add(one, TLanes.Exp(TLanes.Subtract(default, x))));
                }

            case GemmActivation.Tanh:
                {
                    // 1 − 2 / (e²ˣ + 1): ±1 at both ends without ∞/∞ (the form with e⁻²|ˣ| needs the sign put back).
                    TVector one = TLanes.Constant(1);
                    TVector e2x = TLanes.Exp(TLanes.Add(x, x));
                    return TLanes.Subtract(one, TLanes.Divide(TLanes.Constant(2), TLanes.Add(e2x, one)));
                }

            case GemmActivation.Gelu:
                return typeof(T) == typeof(float) ? GeluFloat<TLanes, TVector, T>(x) : GeluScalar<TLanes, TVector, T>(x);
            default:
                return x;
        }
    }

    /// <summary>x/2 · (1 + erf(x/√2)) with the rational erf above (float's precision).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector GeluFloat<TLanes, TVector, T>(TVector x)
        where TLanes : struct, ILanes<TVector, T>
        where TVector : struct
        where T : unmanaged
    {
        TVector z = TLanes.Multiply(x, TLanes.Constant(0.70710678118654752));
        z = TLanes.Min(TLanes.Max(z, TLanes.Constant(-4)), TLanes.Constant(4));
        TVector z2 = TLanes.Multiply(z, z);
        TVector p = TLanes.Constant(ErfP13);
        p = TLanes.MulAdd(p, z2, TLanes.Constant(ErfP11));
        p = TLanes.MulAdd(p, z2, TLanes.Constant(ErfP9));
        p = TLanes.MulAdd(p, z2, TLanes.Constant(ErfP7));
        p = TLanes.MulAdd(p, z2, TLanes.Constant(ErfP5));
        p = TLanes.MulAdd(p, z2, TLanes.Constant(ErfP3));
        p = TLanes.MulAdd(p, z2, TLanes.Constant(ErfP1));
        TVector q = TLanes.Constant(ErfQ8);
        q = TLanes.MulAdd(q, z2, TLanes.Constant(ErfQ6));
        q = TLanes.MulAdd(q, z2, TLanes.Constant(ErfQ4));
        q = TLanes.MulAdd(q, z2, TLanes.Constant(ErfQ2));
        q = TLanes.MulAdd(q, z2, TLanes.Constant(ErfQ0));
        TVector erf = TLanes.Divide(TLanes.Multiply(z, p), q);
        TVector half = TLanes.Constant(0.5);
        return TLanes.Multiply(TLanes.Multiply(half, x), TLanes.Add(TLanes.Constant(1), erf));
    }

    /// <summary>
    /// The exact GELU lane by lane with the float64 erf of the eager op (<see cref="RowOps.ErrorFunction"/>): a float
    /// approximation would lose float64's precision, and float64 GELU products are rare enough to afford this.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TVector GeluScalar<TLanes, TVector, T>(TVector x)
        where TLanes : struct, ILanes<TVector, T>
        where TVector : struct
        where T : unmanaged
    {
        double* values = stackalloc double[TLanes.Count];
        TLanes.Store(x, (T*)values);
        for (int i = 0; i < TLanes.Count; i++)
        {
            double value = values[i];
            values[i] = value * 0.5 * (1 + RowOps.ErrorFunction(value * 0.70710678118654752));
        }

        return TLanes.Load((T*)values);
    }
}
