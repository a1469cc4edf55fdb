namespace Nabla.Backends.Reference;

// Batch normalisation from its formulas, per channel, in double.
internal sealed partial class ReferenceBackend
{
    public Tensor BatchNorm(Tensor x, int batch, int channels, int plane, double[] gamma, double[] beta, double eps,
        double[] mean, double[] variance, double[] inverseStd)
    {
        var output = Allocate(x.shape, x.DType, zeroed: false, "BatchNorm");
        double count = (double)batch * plane;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0, squares = 0;
            foreach (int i in ChannelElements(batch, channels, plane, c)) sum += ReadDouble(x.storage.Data, x.offset + i);
            mean[c] = sum / count;
            foreach (int i in ChannelElements(batch, channels, plane, c))
            {
                double d = ReadDouble(x.storage.Data, x.offset + i) - mean[c];
                squares += d * d;
            }
            variance[c] = squares / count;
            inverseStd[c] = 1 / Math.Sqrt(variance[c] + eps);
            foreach (int i in ChannelElements(batch, channels, plane, c))
                WriteDouble(output.storage.Data, i, (ReadDouble(x.storage.Data, x.offset + i) - mean[c]) * inverseStd[c] * gamma[c] + beta[c]);
        }
        return output;
    }

    public Tensor BatchNormInference(Tensor x, int batch, int channels, int plane, double[] mean, double[] variance, double[] gamma, double[] beta, double eps)
    {
        var output = Allocate(x.shape, x.DType, zeroed: false, "BatchNorm");
        for (int c = 0; c < channels; c++)
        {
            double inverseStd = 1 / Math.Sqrt(variance[c] + eps);
            foreach (int i in ChannelElements(batch, channels, plane, c))
                WriteDouble(output.storage.Data, i, (ReadDouble(x.storage.Data, x.offset + i) - mean[c]) * inverseStd * gamma[c] + beta[c]);
        }
        return output;
    }

    public Tensor? BatchNormBackward(Tensor x, Tensor dy, int batch, int channels, int plane, double[] mean, double[] inverseStd, double[] gamma,
        double[] gradSum, double[] centeredSum, bool needInput)
    {
        var gx = needInput ? Allocate(x.shape, x.DType, zeroed: false, "BatchNormBackward") : null;
        double count = (double)batch * plane;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0, centered = 0;
            foreach (int i in ChannelElements(batch, channels, plane, c))
            {
                double g = ReadDouble(dy.storage.Data, dy.offset + i);
                sum += g;
                centered += g * (ReadDouble(x.storage.Data, x.offset + i) - mean[c]);
            }
            (gradSum[c], centeredSum[c]) = (sum, centered);
            if (gx is null) continue;
            double sigma2 = inverseStd[c] * inverseStd[c];
            foreach (int i in ChannelElements(batch, channels, plane, c))
            {
                double g = ReadDouble(dy.storage.Data, dy.offset + i), xc = ReadDouble(x.storage.Data, x.offset + i) - mean[c];
                WriteDouble(gx.storage.Data, i, gamma[c] * inverseStd[c] * (g - sum / count - xc * sigma2 * centered / count));
            }
        }
        return gx;
    }

    /// <summary>The contiguous indices of channel <paramref name="c"/> of a [batch, channels, plane] tensor.</summary>
    static IEnumerable<int> ChannelElements(int batch, int channels, int plane, int c)
    {
        for (int n = 0; n < batch; n++)
            for (int i = 0; i < plane; i++) yield return (n * channels + c) * plane + i;
    }
}
