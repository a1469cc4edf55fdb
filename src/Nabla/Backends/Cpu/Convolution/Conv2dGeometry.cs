namespace Nabla.Backends.Cpu;

/// <summary>
/// Shape of one 2-D convolution over NCHW data: input [Batch, InChannels, InHeight, InWidth],
/// weight [OutChannels, InChannels / Groups, KernelHeight, KernelWidth],
/// output [Batch, OutChannels, OutHeight, OutWidth].
/// </summary>
internal readonly record struct Conv2dGeometry(
    int Batch, int InChannels, int InHeight, int InWidth,
    int OutChannels, int KernelHeight, int KernelWidth,
    int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0,
    int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    /// <summary>⌊(H + 2·pad − dilation·(k − 1) − 1) / stride⌋ + 1, as in PyTorch.</summary>
    public int OutHeight => (InHeight + 2 * PadH - DilationH * (KernelHeight - 1) - 1) / StrideH + 1;

    /// <summary>⌊(W + 2·pad − dilation·(k − 1) − 1) / stride⌋ + 1, as in PyTorch.</summary>
    public int OutWidth => (InWidth + 2 * PadW - DilationW * (KernelWidth - 1) - 1) / StrideW + 1;

    /// <summary>Input channels seen by one output channel.</summary>
    public int InChannelsPerGroup => InChannels / Groups;

    /// <summary>Output channels produced by one group.</summary>
    public int OutChannelsPerGroup => OutChannels / Groups;

    /// <summary>Length of one im2col column: (InChannels / Groups)·kh·kw, the GEMM's inner dimension.</summary>
    public int PatchSize => InChannelsPerGroup * KernelHeight * KernelWidth;

    /// <summary>Number of elements of the weight tensor.</summary>
    public long WeightSize => (long)OutChannels * PatchSize;

    /// <summary>
    /// The convolution whose input gradient is the given transposed convolution's forward pass.
    /// A ConvTranspose2d with input [N, inChannels, H, W], weight [inChannels, outChannels / groups, kh, kw]
    /// and output [N, outChannels, Hout, Wout], Hout = (H − 1)·stride − 2·pad + dilation·(kh − 1) + outputPadding + 1,
    /// is the adjoint of this Conv2d: its InChannels are the transposed layer's outChannels, its
    /// OutChannels the transposed layer's inChannels, and its OutHeight/OutWidth equal H/W
    /// (outputPadding &lt; stride or &lt; dilation, as PyTorch requires, only adds rows the convolution never reaches).
    /// </summary>
    public static Conv2dGeometry ForTranspose(
        int batch, int inChannels, int inHeight, int inWidth, int outChannels, int kernelHeight, int kernelWidth,
        int strideH = 1, int strideW = 1, int padH = 0, int padW = 0, int outputPadH = 0, int outputPadW = 0,
        int dilationH = 1, int dilationW = 1, int groups = 1)
    {
        int outHeight = (inHeight - 1) * strideH - 2 * padH + dilationH * (kernelHeight - 1) + outputPadH + 1;
        int outWidth = (inWidth - 1) * strideW - 2 * padW + dilationW * (kernelWidth - 1) + outputPadW + 1;
        return new Conv2dGeometry(batch, outChannels, outHeight, outWidth, inChannels, kernelHeight, kernelWidth,
            strideH, strideW, padH, padW, dilationH, dilationW, groups);
    }
}
