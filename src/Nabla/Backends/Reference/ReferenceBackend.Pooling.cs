using Nabla.Backends.Cpu;

namespace Nabla.Backends.Reference;

// Pooling from its definition: each output cell's window of input positions, visited one at a time, sums in double.
internal sealed partial class ReferenceBackend
{
    public (Tensor Values, Tensor Indices) MaxPool2d(Tensor x, Pool2dGeometry g)
    {
        int outH = g.OutHeight, outW = g.OutWidth;
        return ArgMax(x, outH, outW, "MaxPool2d", (oh, ow, visit) =>
        {
            // The dilated window on the −∞-padded input: the taps that fall inside the image.
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++)
                {
                    int h = oh * g.StrideH - g.PadH + i * g.DilationH, w = ow * g.StrideW - g.PadW + j * g.DilationW;
                    if (h >= 0 && h < g.InHeight && w >= 0 && w < g.InWidth) visit(h, w);
                }
        });
    }

    public (Tensor Values, Tensor Indices) AdaptiveMaxPool2d(Tensor x, int outHeight, int outWidth)
    {
        int inH = x.shape[2], inW = x.shape[3];
        return ArgMax(x, outHeight, outWidth, "AdaptiveMaxPool2d", (oh, ow, visit) =>
        {
            for (int h = AdaptiveStart(oh, inH, outHeight); h < AdaptiveEnd(oh, inH, outHeight); h++)
                for (int w = AdaptiveStart(ow, inW, outWidth); w < AdaptiveEnd(ow, inW, outWidth); w++) visit(h, w);
        });
    }

    public Tensor MaxPool2dBackward(Tensor g, Tensor indices, int[] inputShape)
    {
        var result = Allocate(inputShape, g.DType, zeroed: false, "MaxPool2d");
        int inPlane = inputShape[2] * inputShape[3], outPlane = indices.shape[2] * indices.shape[3];
        var sums = new double[result.Count];
        var idx = indices.HostData<long>();
        for (int o = 0; o < g.Count; o++)
            sums[o / Math.Max(outPlane, 1) * inPlane + (int)idx[indices.offset + o]] += ReadDouble(g.storage.Data, g.offset + o);
        for (int i = 0; i < sums.Length; i++) WriteDouble(result.storage.Data, i, sums[i]);
        return result;
    }

    public Tensor AvgPool2d(Tensor x, Pool2dGeometry g, bool countIncludePad, int divisorOverride) =>
        ApplyTaps(x, [g.Batch, g.Channels, g.OutHeight, g.OutWidth], "AvgPool2d", adjoint: false, AvgTaps(g, countIncludePad, divisorOverride));

    public Tensor AvgPool2dBackward(Tensor gy, Pool2dGeometry g, bool countIncludePad, int divisorOverride) =>
        ApplyTaps(gy, [g.Batch, g.Channels, g.InHeight, g.InWidth], "AvgPool2d", adjoint: true, AvgTaps(g, countIncludePad, divisorOverride));

    public Tensor AdaptiveAvgPool2d(Tensor x, int outHeight, int outWidth) =>
        ApplyTaps(x, [x.shape[0], x.shape[1], outHeight, outWidth], "AdaptiveAvgPool2d", adjoint: false,
            AdaptiveAvgTaps(x.shape[0] * x.shape[1], x.shape[2], x.shape[3], outHeight, outWidth));

    public Tensor AdaptiveAvgPool2dBackward(Tensor gy, int inHeight, int inWidth) =>
        ApplyTaps(gy, [gy.shape[0], gy.shape[1], inHeight, inWidth], "AdaptiveAvgPool2d", adjoint: true,
            AdaptiveAvgTaps(gy.shape[0] * gy.shape[1], inHeight, inWidth, gy.shape[2], gy.shape[3]));

    static int AdaptiveStart(int i, int inSize, int outSize) => (int)Math.Floor((double)i * inSize / outSize);

    static int AdaptiveEnd(int i, int inSize, int outSize) => (int)Math.Ceiling((double)(i + 1) * inSize / outSize);

    /// <summary>One term of a linear pooling map: output[Output] += Weight · input[Input] (contiguous [N, C, ·, ·] indices).</summary>
    readonly record struct Tap(int Output, int Input, double Weight);

    /// <summary>y = A x from A's taps, or Aᵀ x with <paramref name="adjoint"/>, into a new tensor of <paramref name="shape"/>.</summary>
    Tensor ApplyTaps(Tensor x, int[] shape, string op, bool adjoint, List<Tap> taps)
    {
        var result = Allocate(shape, x.DType, zeroed: false, op);
        var sums = new double[result.Count];
        foreach (var t in taps)
            if (adjoint) sums[t.Input] += t.Weight * ReadDouble(x.storage.Data, x.offset + t.Output);
            else sums[t.Output] += t.Weight * ReadDouble(x.storage.Data, x.offset + t.Input);
        for (int i = 0; i < sums.Length; i++) WriteDouble(result.storage.Data, i, sums[i]);
        return result;
    }

    static List<Tap> AvgTaps(Pool2dGeometry g, bool countIncludePad, int divisorOverride)
    {
        var taps = new List<Tap>();
        int outH = g.OutHeight, outW = g.OutWidth;
        for (int plane = 0; plane < g.Batch * g.Channels; plane++)
            for (int oh = 0; oh < outH; oh++)
                for (int ow = 0; ow < outW; ow++)
                {
                    // The window on the zero-padded input, cut at the padding's far edge (a ceil-mode window may reach past it).
                    int h0 = oh * g.StrideH - g.PadH, w0 = ow * g.StrideW - g.PadW;
                    int h1 = Math.Min(h0 + g.KernelHeight, g.InHeight + g.PadH), w1 = Math.Min(w0 + g.KernelWidth, g.InWidth + g.PadW);
                    int padded = (h1 - h0) * (w1 - w0);
                    var inside = new List<int>();
                    for (int h = Math.Max(h0, 0); h < Math.Min(h1, g.InHeight); h++)
                        for (int w = Math.Max(w0, 0); w < Math.Min(w1, g.InWidth); w++) inside.Add((plane * g.InHeight + h) * g.InWidth + w);
                    double divisor = divisorOverride > 0 ? divisorOverride : countIncludePad ? padded : inside.Count;
                    int output = (plane * outH + oh) * outW + ow;
                    foreach (int input in inside) taps.Add(new Tap(output, input, 1 / divisor));
                }
        return taps;
    }

    static List<Tap> AdaptiveAvgTaps(int planes, int inH, int inW, int outH, int outW)
    {
        var taps = new List<Tap>();
        for (int plane = 0; plane < planes; plane++)
            for (int oh = 0; oh < outH; oh++)
                for (int ow = 0; ow < outW; ow++)
                {
                    int h0 = AdaptiveStart(oh, inH, outH), h1 = AdaptiveEnd(oh, inH, outH), w0 = AdaptiveStart(ow, inW, outW), w1 = AdaptiveEnd(ow, inW, outW);
                    double weight = 1.0 / ((h1 - h0) * (w1 - w0));
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++) taps.Add(new Tap((plane * outH + oh) * outW + ow, (plane * inH + h) * inW + w, weight));
                }
        return taps;
    }

    /// <summary>
    /// The maximum of each output cell's window (visited in row-major order; the last NaN wins, as in PyTorch, else the first of equal maxima)
    /// and its flat in-plane position, for a contiguous [N, C, H, W] <paramref name="x"/>.
    /// </summary>
    (Tensor Values, Tensor Indices) ArgMax(Tensor x, int outH, int outW, string op, Action<int, int, Action<int, int>> window)
    {
        int planes = x.shape[0] * x.shape[1], inH = x.shape[2], inW = x.shape[3];
        var values = Allocate([x.shape[0], x.shape[1], outH, outW], x.DType, zeroed: false, op);
        var indices = Allocate([x.shape[0], x.shape[1], outH, outW], DType.Int64, zeroed: false, op);
        var idx = indices.HostData<long>();
        for (int plane = 0; plane < planes; plane++)
            for (int oh = 0; oh < outH; oh++)
                for (int ow = 0; ow < outW; ow++)
                {
                    double max = double.NegativeInfinity;
                    long best = -1;
                    window(oh, ow, (h, w) =>
                    {
                        double v = ReadDouble(x.storage.Data, x.offset + (plane * inH + h) * inW + w);
                        if (best < 0 || v > max || double.IsNaN(v)) { max = v; best = (long)h * inW + w; }
                    });
                    int output = (plane * outH + oh) * outW + ow;
                    WriteDouble(values.storage.Data, output, max);
                    idx[output] = best;
                }
        return (values, indices);
    }
}
