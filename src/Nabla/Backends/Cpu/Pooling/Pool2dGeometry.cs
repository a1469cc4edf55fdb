namespace Nabla.Backends.Cpu;

/// <summary>
/// Shape of a 2-D max or average pooling over NCHW data: input [Batch, Channels, InHeight, InWidth],
/// output [Batch, Channels, OutHeight, OutWidth]. Average pooling has no dilation (keep it 1).
/// </summary>
internal readonly record struct Pool2dGeometry(
    int Batch, int Channels, int InHeight, int InWidth,
    int KernelHeight, int KernelWidth, int StrideH, int StrideW,
    int PadH = 0, int PadW = 0, int DilationH = 1, int DilationW = 1, bool CeilMode = false)
{
    /// <summary>Output rows, PyTorch's <c>pooling_output_shape</c>.</summary>
    public int OutHeight => OutputSize(InHeight, KernelHeight, PadH, StrideH, DilationH, CeilMode);

    /// <summary>Output columns, PyTorch's <c>pooling_output_shape</c>.</summary>
    public int OutWidth => OutputSize(InWidth, KernelWidth, PadW, StrideW, DilationW, CeilMode);

    /// <summary>
    /// ⌊(in + 2·pad − dilation·(k − 1) − 1 + (ceil ? stride − 1 : 0)) / stride⌋ + 1; with ceil_mode the
    /// last window is dropped when it would start inside the right padding, so every window
    /// overlaps the input or the left padding.
    /// </summary>
    public static int OutputSize(int inSize, int kernel, int pad, int stride, int dilation, bool ceilMode)
    {
        int span = inSize + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
        int size = (int)Math.Floor(span / (double)stride) + 1;
        if (ceilMode && (size - 1) * stride >= inSize + pad) size--;
        return size;
    }
}
