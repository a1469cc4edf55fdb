using Nabla.Backends.Cpu;

namespace Nabla;

// Training-mode batch normalisation as one op (NativeBatchNormBackward0), over BatchNormKernels.
public partial class Tensor
{
    /// <summary>
    /// y = (x − μ)/√(σ² + ε)·γ + β over a contiguous floating input [N, C, *], μ and the biased σ² taken per
    /// channel over the batch and the trailing dims; returns y and the batch statistics (mean, biased variance)
    /// for the running estimates. Its backward is the closed form (two passes over x and dy); when the backward
    /// itself is recorded (createGraph), it differentiates <paramref name="composed"/> instead — the same
    /// function built from differentiable ops — so gradients of gradients stay exact.
    /// </summary>
    internal static unsafe (Tensor Output, double[] Mean, double[] Variance) BatchNormTraining(
        Tensor input, Tensor? weight, Tensor? bias, double eps, Func<Tensor> composed)
    {
        int batch = input.shape[0], channels = input.shape[1];
        int plane = checked((int)(input.Count / Math.Max(1L, (long)batch * channels)));
        var mean = new double[channels];
        var variance = new double[channels];
        var inverseStd = new double[channels];
        var gamma = weight is null ? Enumerable.Repeat(1.0, channels).ToArray() : ChannelValues(weight);
        var beta = bias is null ? new double[channels] : ChannelValues(bias);
        var output = Uninitialized(input.shape, input.DType, "BatchNorm");

        if (input.DType == DType.Float32)
            fixed (float* x = input.Data<float>(), y = output.Data<float>())
            {
                BatchNormKernels.Statistics(x + input.offset, batch, channels, plane, mean, variance);
                var (scale, shift) = Affine<float>(mean, variance, gamma, beta, eps, inverseStd);
                BatchNormKernels.Affine(x + input.offset, batch, channels, plane, scale, shift, y);
            }
        else
            fixed (double* x = input.Data<double>(), y = output.Data<double>())
            {
                BatchNormKernels.Statistics(x + input.offset, batch, channels, plane, mean, variance);
                var (scale, shift) = Affine<double>(mean, variance, gamma, beta, eps, inverseStd);
                BatchNormKernels.Affine(x + input.offset, batch, channels, plane, scale, shift, y);
            }

        Tensor[] inputs = [input, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        if (Node.ShouldRecord(inputs))
        {
            bool needX = input.RequiresGrad, needW = weight?.RequiresGrad ?? false, needB = bias?.RequiresGrad ?? false;
            Node.Record(output, "NativeBatchNormBackward0", inputs, g =>
            {
                if (GradMode.IsEnabled)
                {
                    // createGraph: the gradient must itself be differentiable in x, γ, β and dy.
                    var wanted = inputs.Where(t => t.RequiresGrad).ToArray();
                    var grads = Autograd.Grad([composed()], wanted, [g], createGraph: true);
                    var byInput = inputs.Select(t => t.RequiresGrad ? grads[Array.IndexOf(wanted, t)] : null).ToArray();
                    return byInput;
                }
                var (gx, sums, centered) = BatchNormBackward(input, g, batch, channels, plane, mean, inverseStd, gamma, needX);
                var result = new List<Tensor?> { gx };
                if (weight is not null)
                    result.Add(needW ? ChannelTensor(centered.Select((s, c) => s * inverseStd[c]).ToArray(), weight.DType) : null);
                if (bias is not null) result.Add(needB ? ChannelTensor(sums, bias.DType) : null);
                return [.. result];
            }, input);
        }
        return (output, mean, variance);
    }

    static unsafe (Tensor? GradInput, double[] GradSum, double[] CenteredSum) BatchNormBackward(
        Tensor input, Tensor gradOutput, int batch, int channels, int plane, double[] mean, double[] inverseStd, double[] gamma, bool needX)
    {
        var dy = gradOutput.ToDTypeIfNeeded(input.DType).PackedForKernel();
        var gx = needX ? Uninitialized(input.shape, input.DType, "BatchNormBackward") : null;
        var sums = new double[channels];
        var centered = new double[channels];
        if (input.DType == DType.Float32)
            fixed (float* x = input.Data<float>(), d = dy.Data<float>(), dx = gx is null ? null : gx.Data<float>())
                BatchNormKernels.Backward(x + input.offset, d + dy.offset, batch, channels, plane, mean, inverseStd, gamma, sums, centered, dx);
        else
            fixed (double* x = input.Data<double>(), d = dy.Data<double>(), dx = gx is null ? null : gx.Data<double>())
                BatchNormKernels.Backward(x + input.offset, d + dy.offset, batch, channels, plane, mean, inverseStd, gamma, sums, centered, dx);
        return (gx, sums, centered);
    }

    /// <summary>Per channel: σ⁻¹ into <paramref name="inverseStd"/>, and the output's scale γσ⁻¹ and shift β − μγσ⁻¹.</summary>
    static (T[] Scale, T[] Shift) Affine<T>(double[] mean, double[] variance, double[] gamma, double[] beta, double eps, double[] inverseStd)
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

    /// <summary>
    /// Eval-mode batch norm without autograd: y = x·a + b per channel, a = γ/√(σ²_running + ε) and
    /// b = β − μ_running·a folded in float64 first, in one pass over a contiguous floating input [N, C, *]
    /// (PyTorch's CPU kernel folds the same way). The caller checks that nothing needs recording and that the
    /// statistics and parameters are [C] tensors.
    /// </summary>
    internal static unsafe Tensor BatchNormInference(Tensor input, Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias, double eps)
    {
        int batch = input.shape[0], channels = input.shape[1];
        int plane = checked((int)(input.Count / Math.Max(1L, (long)batch * channels)));
        var gamma = weight is null ? Enumerable.Repeat(1.0, channels).ToArray() : ChannelValues(weight);
        var beta = bias is null ? new double[channels] : ChannelValues(bias);
        var inverseStd = new double[channels];
        var output = Uninitialized(input.shape, input.DType, "BatchNorm");
        if (input.DType == DType.Float32)
            fixed (float* x = input.Data<float>(), y = output.Data<float>())
            {
                var (scale, shift) = Affine<float>(ChannelValues(runningMean), ChannelValues(runningVar), gamma, beta, eps, inverseStd);
                BatchNormKernels.Affine(x + input.offset, batch, channels, plane, scale, shift, y);
            }
        else
            fixed (double* x = input.Data<double>(), y = output.Data<double>())
            {
                var (scale, shift) = Affine<double>(ChannelValues(runningMean), ChannelValues(runningVar), gamma, beta, eps, inverseStd);
                BatchNormKernels.Affine(x + input.offset, batch, channels, plane, scale, shift, y);
            }
        return output;
    }

    static double[] ChannelValues(Tensor t) => t.Detach().ToDType(DType.Float64).ToArray<double>();

    static Tensor ChannelTensor(double[] values, DType dtype) => From(values).ToDType(dtype);
}
