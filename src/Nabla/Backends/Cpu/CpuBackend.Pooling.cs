namespace Nabla.Backends.Cpu;

// The pooling entry points: pin the contiguous operands and run the kernels of Pooling, plane by plane.
internal sealed partial class CpuBackend
{
    unsafe delegate void PlaneKernel<T>(T* source, T* destination) where T : unmanaged;
    unsafe delegate void ArgMaxKernel<T>(T* source, T* values, long* indices) where T : unmanaged;

    public unsafe (Tensor Values, Tensor Indices) MaxPool2d(Tensor x, Pool2dGeometry g) =>
        RunArgMax(x, [g.Batch, g.Channels, g.OutHeight, g.OutWidth], "MaxPool2d",
            (s, d, i) => Pooling.MaxPool2dForward(g, s, d, i),
            (s, d, i) => Pooling.MaxPool2dForward(g, s, d, i));

    public unsafe (Tensor Values, Tensor Indices) AdaptiveMaxPool2d(Tensor x, int outHeight, int outWidth)
    {
        int planes = x.shape[0] * x.shape[1], inH = x.shape[2], inW = x.shape[3];
        return RunArgMax(x, [x.shape[0], x.shape[1], outHeight, outWidth], "AdaptiveMaxPool2d",
            (s, d, i) => Pooling.AdaptiveMaxPool2dForward(planes, inH, inW, outHeight, outWidth, s, d, i),
            (s, d, i) => Pooling.AdaptiveMaxPool2dForward(planes, inH, inW, outHeight, outWidth, s, d, i));
    }

    public unsafe Tensor MaxPool2dBackward(Tensor g, Tensor indices, int[] inputShape)
    {
        var result = Allocate(inputShape, g.DType, zeroed: false, "MaxPool2d");
        if (result.Count == 0) return result;
        int planes = inputShape[0] * inputShape[1], inH = inputShape[2], inW = inputShape[3], outH = indices.shape[2], outW = indices.shape[3];
        fixed (long* i = indices.HostData<long>())
        {
            long* pi = i + indices.offset;
            if (g.DType == DType.Float32)
                fixed (float* s = g.HostData<float>(), d = result.HostData<float>())
                    Pooling.AdaptiveMaxPool2dBackward(planes, inH, inW, outH, outW, s + g.offset, pi, d);
            else
                fixed (double* s = g.HostData<double>(), d = result.HostData<double>())
                    Pooling.AdaptiveMaxPool2dBackward(planes, inH, inW, outH, outW, s + g.offset, pi, d);
        }
        return result;
    }

    public unsafe Tensor AvgPool2d(Tensor x, Pool2dGeometry g, bool countIncludePad, int divisorOverride) =>
        RunPlanes(x, [g.Batch, g.Channels, g.OutHeight, g.OutWidth], "AvgPool2d",
            (s, d) => Pooling.AvgPool2dForward(g, s, d, countIncludePad, divisorOverride),
            (s, d) => Pooling.AvgPool2dForward(g, s, d, countIncludePad, divisorOverride));

    public unsafe Tensor AvgPool2dBackward(Tensor gy, Pool2dGeometry g, bool countIncludePad, int divisorOverride) =>
        RunPlanes(gy, [g.Batch, g.Channels, g.InHeight, g.InWidth], "AvgPool2d",
            (s, d) => Pooling.AvgPool2dBackward(g, s, d, countIncludePad, divisorOverride),
            (s, d) => Pooling.AvgPool2dBackward(g, s, d, countIncludePad, divisorOverride));

    public unsafe Tensor AdaptiveAvgPool2d(Tensor x, int outHeight, int outWidth)
    {
        int planes = x.shape[0] * x.shape[1], inH = x.shape[2], inW = x.shape[3];
        return RunPlanes(x, [x.shape[0], x.shape[1], outHeight, outWidth], "AdaptiveAvgPool2d",
            (s, d) => Pooling.AdaptiveAvgPool2dForward(planes, inH, inW, outHeight, outWidth, s, d),
            (s, d) => Pooling.AdaptiveAvgPool2dForward(planes, inH, inW, outHeight, outWidth, s, d));
    }

    public unsafe Tensor AdaptiveAvgPool2dBackward(Tensor gy, int inHeight, int inWidth)
    {
        int planes = gy.shape[0] * gy.shape[1], outH = gy.shape[2], outW = gy.shape[3];
        return RunPlanes(gy, [gy.shape[0], gy.shape[1], inHeight, inWidth], "AdaptiveAvgPool2d",
            (s, d) => Pooling.AdaptiveAvgPool2dBackward(planes, inHeight, inWidth, outH, outW, s, d),
            (s, d) => Pooling.AdaptiveAvgPool2dBackward(planes, inHeight, inWidth, outH, outW, s, d));
    }

    /// <summary>Runs a plane kernel that overwrites a new tensor of <paramref name="shape"/> from the contiguous <paramref name="x"/>.</summary>
    unsafe Tensor RunPlanes(Tensor x, int[] shape, string op, PlaneKernel<float> f32, PlaneKernel<double> f64)
    {
        var result = Allocate(shape, x.DType, zeroed: false, op);
        if (result.Count == 0) return result;
        if (x.DType == DType.Float32)
            fixed (float* s = x.HostData<float>(), d = result.HostData<float>()) f32(s + x.offset, d);
        else
            fixed (double* s = x.HostData<double>(), d = result.HostData<double>()) f64(s + x.offset, d);
        return result;
    }

    /// <summary>Runs a max kernel giving values and Int64 indices of shape <paramref name="shape"/> from the contiguous <paramref name="x"/>.</summary>
    unsafe (Tensor Values, Tensor Indices) RunArgMax(Tensor x, int[] shape, string op, ArgMaxKernel<float> f32, ArgMaxKernel<double> f64)
    {
        var values = Allocate(shape, x.DType, zeroed: false, op);
        var indices = Allocate(shape, DType.Int64, zeroed: false, op);
        if (values.Count == 0) return (values, indices);
        fixed (long* i = indices.HostData<long>())
        {
            if (x.DType == DType.Float32)
                fixed (float* s = x.HostData<float>(), d = values.HostData<float>()) f32(s + x.offset, d, i);
            else
                fixed (double* s = x.HostData<double>(), d = values.HostData<double>()) f64(s + x.offset, d, i);
        }
        return (values, indices);
    }
}
