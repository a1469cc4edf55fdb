using System.Numerics;
using System.Runtime.CompilerServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Training-mode batch normalisation over a contiguous [N, C, plane] tensor, one channel per task: the
/// statistics in two reads of x (the mean, then the centred sum of squares), the output in one pass
/// (y = x·a + b with a = γ/σ, b = β − μ·a), and the backward in two (the sums Σdy and Σdy·(x − μ), then
/// dx = a·dy + p·x + q). Composed from elementwise ops the same layer made about nine full-size passes
/// and as many full-size temporaries. Sums run per plane in T and across planes in double.
/// </summary>
internal static unsafe class BatchNormKernels
{
    /// <summary>mean[c] and the biased variance[c] of x over the batch and the plane.</summary>
    public static void Statistics<T>(T* x, int batch, int channels, int plane, double[] mean, double[] variance)
        where T : unmanaged, INumber<T>
    {
        double count = (double)batch * plane;
        WorkerPool.For(channels, 1, (begin, end) =>
        {
            for (int c = begin; c < end; c++)
            {
                double sum = 0;
                for (int n = 0; n < batch; n++) sum += double.CreateTruncating(Sum(Plane(x, n, c, channels, plane), plane));
                double mu = sum / count;
                double squares = 0;
                T muT = T.CreateTruncating(mu);
                for (int n = 0; n < batch; n++) squares += double.CreateTruncating(CenteredDot(Plane(x, n, c, channels, plane), Plane(x, n, c, channels, plane), muT, plane));
                mean[c] = mu;
                variance[c] = squares / count;
            }
        });
    }

    /// <summary>y[n, c, i] = x[n, c, i]·scale[c] + shift[c].</summary>
    public static void Affine<T>(T* x, int batch, int channels, int plane, T[] scale, T[] shift, T* y)
        where T : unmanaged, INumber<T>
    {
        WorkerPool.For(channels, 1, (begin, end) =>
        {
            for (int c = begin; c < end; c++)
                for (int n = 0; n < batch; n++)
                    MultiplyAdd(Plane(x, n, c, channels, plane), scale[c], shift[c], Plane(y, n, c, channels, plane), plane);
        });
    }

    /// <summary>
    /// The backward of y = (x − μ)·σ⁻¹·γ + β with μ, σ the batch statistics: gradSum[c] = Σdy (= ∂L/∂β) and
    /// centeredSum[c] = Σdy·(x − μ) (∂L/∂γ = centeredSum·σ⁻¹); when <paramref name="gradInput"/> is not null,
    /// dx = a·dy + p·x + q with a = γ·σ⁻¹, p = −a·σ⁻²·centeredSum/M, q = −a·gradSum/M − p·μ (M = N·plane).
    /// </summary>
    public static void Backward<T>(
        T* x, T* gradOutput, int batch, int channels, int plane, double[] mean, double[] inverseStd, double[] gamma,
        double[] gradSum, double[] centeredSum, T* gradInput)
        where T : unmanaged, INumber<T>
    {
        double count = (double)batch * plane;
        WorkerPool.For(channels, 1, (begin, end) =>
        {
            for (int c = begin; c < end; c++)
            {
                double s1 = 0, s2 = 0;
                T muT = T.CreateTruncating(mean[c]);
                for (int n = 0; n < batch; n++)
                {
                    T* dy = Plane(gradOutput, n, c, channels, plane);
                    s1 += double.CreateTruncating(Sum(dy, plane));
                    s2 += double.CreateTruncating(CenteredDot(Plane(x, n, c, channels, plane), dy, muT, plane));
                }
                gradSum[c] = s1;
                centeredSum[c] = s2;
                if (gradInput == null) continue;
                double a = gamma[c] * inverseStd[c];
                double p = -a * inverseStd[c] * inverseStd[c] * s2 / count;
                double q = (-a * s1 / count) - (p * mean[c]);
                T aT = T.CreateTruncating(a), pT = T.CreateTruncating(p), qT = T.CreateTruncating(q);
                for (int n = 0; n < batch; n++)
                    Combine(Plane(gradOutput, n, c, channels, plane), aT, Plane(x, n, c, channels, plane), pT, qT, Plane(gradInput, n, c, channels, plane), plane);
            }
        });
    }

    private static T* Plane<T>(T* data, int n, int c, int channels, int plane)
        where T : unmanaged => data + (((long)n * channels) + c) * plane;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Sum<T>(T* x, int length)
        where T : unmanaged, INumber<T>
    {
        var acc = Vector<T>.Zero;
        int i = 0;
        for (; i <= length - Vector<T>.Count; i += Vector<T>.Count) acc += Vector.Load(x + i);
        T sum = Vector.Sum(acc);
        for (; i < length; i++) sum += x[i];
        return sum;
    }

    /// <summary>Σ (x[i] − mu)·y[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T CenteredDot<T>(T* x, T* y, T mu, int length)
        where T : unmanaged, INumber<T>
    {
        var acc = Vector<T>.Zero;
        var muV = new Vector<T>(mu);
        int i = 0;
        for (; i <= length - Vector<T>.Count; i += Vector<T>.Count) acc += (Vector.Load(x + i) - muV) * Vector.Load(y + i);
        T sum = Vector.Sum(acc);
        for (; i < length; i++) sum += (x[i] - mu) * y[i];
        return sum;
    }

    /// <summary>y[i] = x[i]·scale + shift.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyAdd<T>(T* x, T scale, T shift, T* y, int length)
        where T : unmanaged, INumber<T>
    {
        var scaleV = new Vector<T>(scale);
        var shiftV = new Vector<T>(shift);
        int i = 0;
        for (; i <= length - Vector<T>.Count; i += Vector<T>.Count) Vector.Store((Vector.Load(x + i) * scaleV) + shiftV, y + i);
        for (; i < length; i++) y[i] = (x[i] * scale) + shift;
    }

    /// <summary>target[i] = a·dy[i] + p·x[i] + q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Combine<T>(T* dy, T a, T* x, T p, T q, T* target, int length)
        where T : unmanaged, INumber<T>
    {
        var aV = new Vector<T>(a);
        var pV = new Vector<T>(p);
        var qV = new Vector<T>(q);
        int i = 0;
        for (; i <= length - Vector<T>.Count; i += Vector<T>.Count)
            Vector.Store((Vector.Load(dy + i) * aV) + (Vector.Load(x + i) * pV) + qV, target + i);
        for (; i < length; i++) target[i] = (a * dy[i]) + (p * x[i]) + q;
    }
}
