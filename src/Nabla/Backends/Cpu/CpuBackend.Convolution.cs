namespace Nabla.Backends.Cpu;

// The convolution entry points: pin the contiguous operands and run the kernels of Convolution.
internal sealed partial class CpuBackend
{
    public unsafe Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, in Conv2dGeometry g)
    {
        var result = Allocate([g.Batch, g.OutChannels, g.OutHeight, g.OutWidth], x.DType, zeroed: false, "Conv2d");
        if (x.DType == DType.Float32)
        {
            fixed (float* px = x.HostData<float>(), pw = weight.HostData<float>(), pb = bias?.HostData<float>(), pr = result.HostData<float>())
                Convolution.Conv2dForward(g, px + x.offset, pw + weight.offset, bias is null ? null : pb + bias.offset, pr);
        }
        else
        {
            fixed (double* px = x.HostData<double>(), pw = weight.HostData<double>(), pb = bias?.HostData<double>(), pr = result.HostData<double>())
                Convolution.Conv2dForward(g, px + x.offset, pw + weight.offset, bias is null ? null : pb + bias.offset, pr);
        }
        return result;
    }

    /// <summary>
    /// relu?(conv2d(x, weight) + bias + residual) for inference (float32, contiguous operands, no autograd), fused as
    /// <see cref="InferenceConvolution"/> describes; <paramref name="weight"/> should not change between calls (its
    /// transformed filter is cached by storage and version).
    /// </summary>
    public unsafe Tensor Conv2dInference(Tensor x, Tensor weight, Tensor bias, Tensor? residual, bool relu, in Conv2dGeometry g)
    {
        var result = Allocate([g.Batch, g.OutChannels, g.OutHeight, g.OutWidth], x.DType, zeroed: false, "Conv2d");
        fixed (float* px = x.HostData<float>(), pb = bias.HostData<float>(), pr = result.HostData<float>(), ps = residual?.HostData<float>())
            InferenceConvolution.Forward(g, px + x.offset, weight, pb + bias.offset, residual is null ? null : ps + residual.offset, relu, pr);
        return result;
    }

    public unsafe Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias, in Conv2dGeometry g)
    {
        var result = Allocate([g.Batch, g.InChannels, g.InHeight, g.InWidth], x.DType, zeroed: false, "ConvTranspose2d");
        if (x.DType == DType.Float32)
        {
            fixed (float* px = x.HostData<float>(), pw = weight.HostData<float>(), pb = bias?.HostData<float>(), pr = result.HostData<float>())
                Convolution.ConvTranspose2dForward(g, px + x.offset, pw + weight.offset, bias is null ? null : pb + bias.offset, pr);
        }
        else
        {
            fixed (double* px = x.HostData<double>(), pw = weight.HostData<double>(), pb = bias?.HostData<double>(), pr = result.HostData<double>())
                Convolution.ConvTranspose2dForward(g, px + x.offset, pw + weight.offset, bias is null ? null : pb + bias.offset, pr);
        }
        return result;
    }

    public unsafe Tensor Conv2dBackwardWeight(Tensor x, Tensor gy, in Conv2dGeometry g)
    {
        var result = Allocate([g.OutChannels, g.InChannelsPerGroup, g.KernelHeight, g.KernelWidth], x.DType, zeroed: false, "Conv2d");
        if (x.DType == DType.Float32)
        {
            fixed (float* px = x.HostData<float>(), py = gy.HostData<float>(), pr = result.HostData<float>())
                Convolution.Conv2dBackwardWeight(g, px + x.offset, py + gy.offset, pr, null);
        }
        else
        {
            fixed (double* px = x.HostData<double>(), py = gy.HostData<double>(), pr = result.HostData<double>())
                Convolution.Conv2dBackwardWeight(g, px + x.offset, py + gy.offset, pr, null);
        }
        return result;
    }

    public unsafe Tensor ChannelSum(Tensor g)
    {
        int batch = g.shape[0], channels = g.shape[1];
        long plane = (long)g.shape[2] * g.shape[3];
        var result = Allocate([channels], g.DType, zeroed: true, "ChannelSum");
        if (g.Count == 0) return result;
        if (g.DType == DType.Float32)
            fixed (float* s = g.HostData<float>(), d = result.HostData<float>()) Convolution.ChannelSum(s + g.offset, batch, channels, plane, d);
        else
            fixed (double* s = g.HostData<double>(), d = result.HostData<double>()) Convolution.ChannelSum(s + g.offset, batch, channels, plane, d);
        return result;
    }
}
