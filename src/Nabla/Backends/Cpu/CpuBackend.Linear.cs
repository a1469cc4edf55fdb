namespace Nabla.Backends.Cpu;

/// <summary>The linear layer's product: one GEMM whose store adds the bias and applies the activation.</summary>
internal sealed partial class CpuBackend
{
    public void Linear(Tensor x, Tensor weight, Tensor? bias, GemmActivation activation, Tensor result)
    {
        if (bias is not null && !bias.IsContiguous) bias = bias.Contiguous();
        if (result.DType == DType.Float32) Linear<float>(x, weight, bias, activation, result);
        else Linear<double>(x, weight, bias, activation, result);
    }

    static unsafe void Linear<T>(Tensor x, Tensor weight, Tensor? bias, GemmActivation activation, Tensor result) where T : unmanaged, System.Numerics.INumber<T>
    {
        int n = result.shape[0], m = result.shape[1], k = x.shape[1];
        fixed (T* px = x.HostData<T>(), pw = weight.HostData<T>(), pr = result.HostData<T>(), pb = bias?.HostData<T>())
            Linear(px + x.offset, x.strides[0], x.strides[1], pw + weight.offset, weight.strides[0], weight.strides[1],
                bias is null ? null : pb + bias.offset, activation, pr + result.offset, n, m, k);
    }

    /// <summary>
    /// result [n, m] (rows contiguous) = activation(x Wᵀ + b) for x [n, k] and W [m, k] given by pointer and strides; the
    /// pointer entry point that the jit's planned steps share with <see cref="Linear(Tensor, Tensor, Tensor?, GemmActivation, Tensor)"/>
    /// (it opens parallel regions without allocating).
    /// </summary>
    internal static unsafe void Linear<T>(T* x, long xRowStride, long xColumnStride, T* w, long wRowStride, long wColumnStride, T* bias,
        GemmActivation activation, T* result, int n, int m, int k) where T : unmanaged, System.Numerics.INumber<T>
    {
        var epilogue = new GemmEpilogue<T>(bias, activation);
        bool weightRows = wColumnStride == 1 && (m == 1 || wRowStride == k);
        if (n <= 2 && k > 0 && weightRows && xColumnStride == 1)
        {
            // Batch 1 or 2: the weight rows read in place (Gemv), not packed as the GEMM would on every call.
            for (int i = 0; i < n; i++)
            {
                T* row = result + (long)i * m;
                new Span<T>(row, m).Clear();
                Gemv.Accumulate(x + i * xRowStride, w, m, k, row);
                GemmKernels.ApplyEpilogue(row, m, epilogue);
            }
            return;
        }
        // C = x·Wᵀ: B is W's strides swapped.
        if (typeof(T) == typeof(float))
            Gemm.Sgemm(n, m, k, (float*)x, xRowStride, xColumnStride, (float*)w, wColumnStride, wRowStride, (float*)result, m, false,
                new GemmEpilogue<float>((float*)bias, activation));
        else
            Gemm.Dgemm(n, m, k, (double*)x, xRowStride, xColumnStride, (double*)w, wColumnStride, wRowStride, (double*)result, m, false,
                new GemmEpilogue<double>((double*)bias, activation));
    }
}
