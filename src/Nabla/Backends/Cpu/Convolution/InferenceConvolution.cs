using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The fused inference convolution (float32, contiguous NCHW): output = conv2d(input, weight) + bias (+ residual), then ReLU,
/// for weights that do not change between calls (a BatchNorm folded into them, eval mode, no autograd). 3×3 stride-1
/// layers where <see cref="Winograd"/> applies add the residual and the ReLU as each output tile is scattered back and
/// reuse the weights' transformed filter (<see cref="Winograd.ForwardInference"/>); stride-2 layers over a few input
/// channels (ResNet's 7×7 stem) take the direct <see cref="StemConvolution"/> kernel, which does the same in registers;
/// every other layer runs
/// <see cref="Convolution.Conv2dForward(in Conv2dGeometry, float*, float*, float*, float*)"/> and then one pass over its
/// output for the residual and the ReLU, split over the worker pool.
/// </summary>
internal static unsafe class InferenceConvolution
{
    /// <summary>output[N, Cout, Hout, Wout] = relu?(conv2d(input, weight) + bias + residual); <paramref name="residual"/> may be null.</summary>
    public static void Forward(in Conv2dGeometry g, float* input, Tensor weight, float* bias, float* residual, bool relu, float* output)
    {
        if (Convolution.WinogradEnabled && Winograd.Applies(g) && Winograd.PaysForward(g))
        {
            Winograd.ForwardInference(g, input, weight, bias, residual, relu, output);
            return;
        }
        fixed (float* w = weight.HostData<float>())
        {
            if (StemConvolution.Applies(g))
            {
                StemConvolution.Forward(g, input, w + weight.offset, bias, residual, relu, output);
                return;
            }
            Convolution.Conv2dForward(g, input, w + weight.offset, bias, output);
        }
        if (residual != null || relu) AddAndRectify(output, residual, relu, (long)g.Batch * g.OutChannels * g.OutHeight * g.OutWidth);
    }

    /// <summary>data = relu?(data + residual) over <paramref name="count"/> elements (residual may be null), in chunks over the worker pool when large.</summary>
    private static void AddAndRectify(float* data, float* residual, bool relu, long count)
    {
        long chunk = CpuBackend.ChunkElements;
        if (count < CpuBackend.ParallelElements)
        {
            AddAndRectify(data, residual, relu, 0, count);
            return;
        }
        WorkerPool.For((int)((count + chunk - 1) / chunk), 2, (start, end) =>
            AddAndRectify(data, residual, relu, start * chunk, Math.Min(end * chunk, count)));
    }

    /// <summary>Elements [start, end) of <see cref="AddAndRectify(float*, float*, bool, long)"/>.</summary>
    private static void AddAndRectify(float* data, float* residual, bool relu, long start, long end)
    {
        var span = new Span<float>(data + start, checked((int)(end - start)));
        if (residual != null) TensorPrimitives.Add(span, new ReadOnlySpan<float>(residual + start, span.Length), span);
        if (relu) TensorPrimitives.Max(span, 0f, span);
    }
}
