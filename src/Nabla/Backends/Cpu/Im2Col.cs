using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The im2col lowering of one group of one sample, restricted to a band of output rows so the
/// column matrix stays in L2: col[(c·kh + i)·kw + j, r·OW + ow] = x[c, ih, iw] with
/// ih = (oh0 + r)·strideH − padH + i·dilationH and iw = ow·strideW − padW + j·dilationW
/// (zero outside the image). <see cref="Scatter{T}"/> is its adjoint (col2im, adding).
/// </summary>
internal static unsafe class Im2Col
{
    /// <summary>Fills col[PatchSize × rows·OutWidth] from the <c>InChannelsPerGroup</c> planes at <paramref name="x"/>.</summary>
    public static void Gather<T>(in Conv2dGeometry g, T* x, int oh0, int rows, T* col) where T : unmanaged, INumber<T>
    {
        Debug.Assert(oh0 >= 0 && rows > 0 && oh0 + rows <= g.OutHeight);
        int outWidth = g.OutWidth, inHeight = g.InHeight, inWidth = g.InWidth, strideW = g.StrideW;
        long cols = (long)rows * outWidth, plane = (long)inHeight * inWidth;
        T* dst = col;
        for (int c = 0; c < g.InChannelsPerGroup; c++)
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++, dst += cols)
                {
                    int offsetW = j * g.DilationW - g.PadW;
                    ValidRange(offsetW, strideW, inWidth, outWidth, out int owLo, out int owHi);
                    for (int r = 0; r < rows; r++)
                    {
                        T* d = dst + (long)r * outWidth;
                        int ih = (oh0 + r) * g.StrideH - g.PadH + i * g.DilationH;
                        if ((uint)ih >= (uint)inHeight)
                        {
                            new Span<T>(d, outWidth).Clear();
                            continue;
                        }
                        T* src = x + c * plane + (long)ih * inWidth + offsetW; // src[ow·strideW] = x[c, ih, iw]
                        new Span<T>(d, owLo).Clear();
                        if (strideW == 1) new ReadOnlySpan<T>(src + owLo, owHi - owLo).CopyTo(new Span<T>(d + owLo, owHi - owLo));
                        else for (int ow = owLo; ow < owHi; ow++) d[ow] = src[(long)ow * strideW];
                        new Span<T>(d + owHi, outWidth - owHi).Clear();
                    }
                }
    }

    /// <summary>x[c, ih, iw] += col[…] for every entry <see cref="Gather{T}"/> would have read from x.</summary>
    public static void Scatter<T>(in Conv2dGeometry g, T* col, int oh0, int rows, T* x) where T : unmanaged, INumber<T>
    {
        Debug.Assert(oh0 >= 0 && rows > 0 && oh0 + rows <= g.OutHeight);
        int outWidth = g.OutWidth, inHeight = g.InHeight, inWidth = g.InWidth, strideW = g.StrideW;
        long cols = (long)rows * outWidth, plane = (long)inHeight * inWidth;
        T* src = col;
        for (int c = 0; c < g.InChannelsPerGroup; c++)
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++, src += cols)
                {
                    int offsetW = j * g.DilationW - g.PadW;
                    ValidRange(offsetW, strideW, inWidth, outWidth, out int owLo, out int owHi);
                    if (owHi <= owLo) continue;
                    for (int r = 0; r < rows; r++)
                    {
                        int ih = (oh0 + r) * g.StrideH - g.PadH + i * g.DilationH;
                        if ((uint)ih >= (uint)inHeight) continue;
                        T* s = src + (long)r * outWidth;
                        T* d = x + c * plane + (long)ih * inWidth + offsetW;
                        if (strideW == 1)
                        {
                            var target = new Span<T>(d + owLo, owHi - owLo);
                            TensorPrimitives.Add(target, new ReadOnlySpan<T>(s + owLo, owHi - owLo), target);
                        }
                        else for (int ow = owLo; ow < owHi; ow++) d[(long)ow * strideW] += s[ow];
                    }
                }
    }

    /// <summary>Output columns [lo, hi) whose input column ow·stride + offset lies inside [0, width).</summary>
    private static void ValidRange(int offset, int stride, int width, int outWidth, out int lo, out int hi)
    {
        lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        hi = width - 1 - offset >= 0 ? Math.Min(outWidth, (width - 1 - offset) / stride + 1) : 0;
        lo = Math.Min(lo, outWidth);
        if (hi < lo) hi = lo;
    }
}
