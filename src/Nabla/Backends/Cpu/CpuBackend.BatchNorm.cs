namespace Nabla.Backends.Cpu;

// The batch normalisation entry points: pin the contiguous operands and run BatchNormKernels.
internal sealed partial class CpuBackend
{
    public unsafe Tensor BatchNorm(Tensor x, int batch, int channels, int plane, double[] gamma, double[] beta, double eps,
        double[] mean, double[] variance, double[] inverseStd)
    {
        var output = Allocate(x.shape, x.DType, zeroed: false, "BatchNorm");
        if (x.DType == DType.Float32)
            fixed (float* px = x.HostData<float>(), y = output.HostData<float>())
            {
                BatchNormKernels.Statistics(px + x.offset, batch, channels, plane, mean, variance);
                var (scale, shift) = BatchNormAffine<float>(mean, variance, gamma, beta, eps, inverseStd);
                BatchNormKernels.Affine(px + x.offset, batch, channels, plane, scale, shift, y);
            }
        else
            fixed (double* px = x.HostData<double>(), y = output.HostData<double>())
            {
                BatchNormKernels.Statistics(px + x.offset, batch, channels, plane, mean, variance);
                var (scale, shift) = BatchNormAffine<double>(mean, variance, gamma, beta, eps, inverseStd);
                BatchNormKernels.Affine(px + x.offset, batch, channels, plane, scale, shift, y);
            }
        return output;
    }

    public unsafe Tensor BatchNormInference(Tensor x, int batch, int channels, int plane, double[] mean, double[] variance, double[] gamma, double[] beta, double eps)
    {
        var inverseStd = new double[channels];
        var output = Allocate(x.shape, x.DType, zeroed: false, "BatchNorm");
        if (x.DType == DType.Float32)
            fixed (float* px = x.HostData<float>(), y = output.HostData<float>())
            {
                var (scale, shift) = BatchNormAffine<float>(mean, variance, gamma, beta, eps, inverseStd);
                BatchNormKernels.Affine(px + x.offset, batch, channels, plane, scale, shift, y);
            }
        else
            fixed (double* px = x.HostData<double>(), y = output.HostData<double>())
            {
                var (scale, shift) = BatchNormAffine<double>(mean, variance, gamma, beta, eps, inverseStd);
                BatchNormKernels.Affine(px + x.offset, batch, channels, plane, scale, shift, y);
            }
        return output;
    }

    public unsafe Tensor? BatchNormBackward(Tensor x, Tensor dy, int batch, int channels, int plane, double[] mean, double[] inverseStd, double[] gamma,
        double[] gradSum, double[] centeredSum, bool needInput)
    {
        var gx = needInput ? Allocate(x.shape, x.DType, zeroed: false, "BatchNormBackward") : null;
        if (x.DType == DType.Float32)
            fixed (float* px = x.HostData<float>(), d = dy.HostData<float>(), dx = gx is null ? null : gx.HostData<float>())
                BatchNormKernels.Backward(px + x.offset, d + dy.offset, batch, channels, plane, mean, inverseStd, gamma, gradSum, centeredSum, dx);
        else
            fixed (double* px = x.HostData<double>(), d = dy.HostData<double>(), dx = gx is null ? null : gx.HostData<double>())
                BatchNormKernels.Backward(px + x.offset, d + dy.offset, batch, channels, plane, mean, inverseStd, gamma, gradSum, centeredSum, dx);
        return gx;
    }

    /// <summary>Per channel: σ⁻¹ into <paramref name="inverseStd"/>, and the output's scale γσ⁻¹ and shift β − μγσ⁻¹.</summary>
    static (T[] Scale, T[] Shift) BatchNormAffine<T>(double[] mean, double[] variance, double[] gamma, double[] beta, double eps, double[] inverseStd)
        where T : System.Numerics.INumber<T>
    {
        var scale = new T[mean.Length];
        var shift = new T[mean.Length];
        for (int c = 0; c < mean.Length; c++)
        {
            inverseStd[c] = 1 / Math.Sqrt(variance[c] + eps);
            double a = gamma[c] * inverseStd[c];
            scale[c] = T.CreateTruncating(a);
            shift[c] = T.CreateTruncating(beta[c] - (mean[c] * a));
        }
        return (scale, shift);
    }
}
