using Nabla.Backends.Cpu;

namespace Nabla.Backends.Reference;

// The convolutions as their defining sums, one output (or, for the transpose, one input) element at a time, in double.
internal sealed partial class ReferenceBackend
{
    public Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, in Conv2dGeometry g)
    {
        var result = Allocate([g.Batch, g.OutChannels, g.OutHeight, g.OutWidth], x.DType, zeroed: false, "Conv2d");
        var sums = new double[result.Count];
        // y[n, co, oh, ow] = b[co] + Σ_{ci, i, j} x[n, group·Cin/G + ci, oh·s − p + i·d, ow·s − p + j·d] · w[co, ci, i, j]
        ForEachTap(g, (output, input, w) => sums[output] += ReadDouble(x.storage.Data, x.offset + input) * ReadDouble(weight.storage.Data, weight.offset + w));
        int plane = g.OutHeight * g.OutWidth;
        for (int i = 0; i < sums.Length; i++)
        {
            double b = bias is null ? 0 : ReadDouble(bias.storage.Data, bias.offset + i / plane % g.OutChannels);
            WriteDouble(result.storage.Data, i, b + sums[i]);
        }
        return result;
    }

    public Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias, in Conv2dGeometry g)
    {
        var result = Allocate([g.Batch, g.InChannels, g.InHeight, g.InWidth], x.DType, zeroed: false, "ConvTranspose2d");
        var sums = new double[result.Count];
        // The adjoint of Conv2d in its input: every tap that reads input element i of the convolution adds x[output]·w back to i.
        ForEachTap(g, (output, input, w) => sums[input] += ReadDouble(x.storage.Data, x.offset + output) * ReadDouble(weight.storage.Data, weight.offset + w));
        int plane = g.InHeight * g.InWidth;
        for (int i = 0; i < sums.Length; i++)
        {
            double b = bias is null ? 0 : ReadDouble(bias.storage.Data, bias.offset + i / plane % g.InChannels);
            WriteDouble(result.storage.Data, i, b + sums[i]);
        }
        return result;
    }

    public Tensor Conv2dBackwardWeight(Tensor x, Tensor gy, in Conv2dGeometry g)
    {
        var result = Allocate([g.OutChannels, g.InChannelsPerGroup, g.KernelHeight, g.KernelWidth], x.DType, zeroed: false, "Conv2d");
        var sums = new double[result.Count];
        // ∂W[co, ci, i, j] = Σ over the taps of that weight element of x[input] · gy[output]
        ForEachTap(g, (output, input, w) => sums[w] += ReadDouble(x.storage.Data, x.offset + input) * ReadDouble(gy.storage.Data, gy.offset + output));
        for (int i = 0; i < sums.Length; i++) WriteDouble(result.storage.Data, i, sums[i]);
        return result;
    }

    public Tensor ChannelSum(Tensor g)
    {
        int batch = g.shape[0], channels = g.shape[1], plane = g.shape[2] * g.shape[3];
        var result = Allocate([channels], g.DType, zeroed: false, "ChannelSum");
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
                for (int i = 0; i < plane; i++) sum += ReadDouble(g.storage.Data, g.offset + (n * channels + c) * plane + i);
            WriteDouble(result.storage.Data, c, sum);
        }
        return result;
    }

    /// <summary>
    /// Calls <paramref name="tap"/> with the contiguous indices (output [N, Cout, Hout, Wout], input [N, Cin, H, W],
    /// weight [Cout, Cin/G, kh, kw]) of every product of the convolution <paramref name="g"/> whose input element is inside the unpadded input.
    /// </summary>
    static void ForEachTap(in Conv2dGeometry g, Action<int, int, int> tap)
    {
        int perGroup = g.InChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
            for (int co = 0; co < g.OutChannels; co++)
            {
                int group = co / g.OutChannelsPerGroup;
                for (int oh = 0; oh < g.OutHeight; oh++)
                    for (int ow = 0; ow < g.OutWidth; ow++)
                    {
                        int output = ((n * g.OutChannels + co) * g.OutHeight + oh) * g.OutWidth + ow;
                        for (int ci = 0; ci < perGroup; ci++)
                            for (int i = 0; i < g.KernelHeight; i++)
                            {
                                int h = oh * g.StrideH - g.PadH + i * g.DilationH;
                                if (h < 0 || h >= g.InHeight) continue;
                                for (int j = 0; j < g.KernelWidth; j++)
                                {
                                    int w = ow * g.StrideW - g.PadW + j * g.DilationW;
                                    if (w < 0 || w >= g.InWidth) continue;
                                    int input = ((n * g.InChannels + group * perGroup + ci) * g.InHeight + h) * g.InWidth + w;
                                    tap(output, input, ((co * perGroup + ci) * g.KernelHeight + i) * g.KernelWidth + j);
                                }
                            }
                    }
            }
    }
}
