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
        {
            T* xs = px + x.offset, ws = pw + weight.offset, rs = pr + result.offset;
            var epilogue = new GemmEpilogue<T>(bias is null ? null : pb + bias.offset, activation);
            bool weightRows = weight.strides[1] == 1 && (m == 1 || weight.strides[0] == k);
            if (n <= 2 && k > 0 && weightRows && x.strides[1] == 1)
            {
                // Batch 1 or 2: the weight rows read in place (Gemv), not packed as the GEMM would on every call.
                for (int i = 0; i < n; i++)
                {
                    T* row = rs + (long)i * m;
                    new Span<T>(row, m).Clear();
                    Gemv.Accumulate(xs + (long)i * x.strides[0], ws, m, k, row);
                    GemmKernels.ApplyEpilogue(row, m, epilogue);
                }
                return;
            }
            // C = x·Wᵀ: B is W's strides swapped.
            if (typeof(T) == typeof(float))
                Gemm.Sgemm(n, m, k, (float*)xs, x.strides[0], x.strides[1], (float*)ws, weight.strides[1], weight.strides[0], (float*)rs, m, false,
                    new GemmEpilogue<float>((float*)epilogue.Bias, activation));
            else
                Gemm.Dgemm(n, m, k, (double*)xs, x.strides[0], x.strides[1], (double*)ws, weight.strides[1], weight.strides[0], (double*)rs, m, false,
                    new GemmEpilogue<double>((double*)epilogue.Bias, activation));
        }
    }
}
