using Nabla.Backends;

namespace Nabla;

// Training-mode batch normalisation as one op (NativeBatchNormBackward0), run by the backend of its input.
public partial class Tensor
{
    /// <summary>
    /// y = (x − μ)/√(σ² + ε)·γ + β over a contiguous floating input [N, C, *], μ and the biased σ² taken per
    /// channel over the batch and the trailing dims; returns y and the batch statistics (mean, biased variance)
    /// for the running estimates. Its backward is the closed form (two passes over x and dy); when the backward
    /// itself is recorded (createGraph), it differentiates <paramref name="composed"/> instead — the same
    /// function built from differentiable ops — so gradients of gradients stay exact.
    /// </summary>
    internal static (Tensor Output, double[] Mean, double[] Variance) BatchNormTraining(
        Tensor input, Tensor? weight, Tensor? bias, double eps, Func<Tensor> composed)
    {
        int batch = input.shape[0], channels = input.shape[1];
        int plane = checked((int)(input.Count / Math.Max(1L, (long)batch * channels)));
        var mean = new double[channels];
        var variance = new double[channels];
        var inverseStd = new double[channels];
        var gamma = weight is null ? Enumerable.Repeat(1.0, channels).ToArray() : ChannelValues(weight);
        var beta = bias is null ? new double[channels] : ChannelValues(bias);
        var output = Backend.Of(input).BatchNorm(input, batch, channels, plane, gamma, beta, eps, mean, variance, inverseStd);

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
                    result.Add(needW ? ChannelTensor(centered.Select((s, c) => s * inverseStd[c]).ToArray(), weight.DType, weight.Device) : null);
                if (bias is not null) result.Add(needB ? ChannelTensor(sums, bias.DType, bias.Device) : null);
                return [.. result];
            }, input);
        }
        return (output, mean, variance);
    }

    static (Tensor? GradInput, double[] GradSum, double[] CenteredSum) BatchNormBackward(
        Tensor input, Tensor gradOutput, int batch, int channels, int plane, double[] mean, double[] inverseStd, double[] gamma, bool needX)
    {
        var dy = gradOutput.ToDTypeIfNeeded(input.DType).PackedForKernel();
        var sums = new double[channels];
        var centered = new double[channels];
        var gx = Backend.Of("BatchNorm", input, dy).BatchNormBackward(input, dy, batch, channels, plane, mean, inverseStd, gamma, sums, centered, needX);
        return (gx, sums, centered);
    }

    /// <summary>
    /// Eval-mode batch norm without autograd: y = x·a + b per channel, a = γ/√(σ²_running + ε) and
    /// b = β − μ_running·a folded in float64 first, in one pass over a contiguous floating input [N, C, *]
    /// (PyTorch's CPU kernel folds the same way). The caller checks that nothing needs recording and that the
    /// statistics and parameters are [C] tensors.
    /// </summary>
    internal static Tensor BatchNormInference(Tensor input, Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias, double eps)
    {
        int batch = input.shape[0], channels = input.shape[1];
        int plane = checked((int)(input.Count / Math.Max(1L, (long)batch * channels)));
        var gamma = weight is null ? Enumerable.Repeat(1.0, channels).ToArray() : ChannelValues(weight);
        var beta = bias is null ? new double[channels] : ChannelValues(bias);
        return Backend.Of(input).BatchNormInference(input, batch, channels, plane, ChannelValues(runningMean), ChannelValues(runningVar), gamma, beta, eps);
    }

    static double[] ChannelValues(Tensor t) => t.Detach().ToDType(DType.Float64).ToArray<double>();

    static Tensor ChannelTensor(double[] values, DType dtype, Device device) => From(values).ToDType(dtype).To(device);
}
