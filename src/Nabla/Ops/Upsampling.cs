namespace Nabla;

// Resampling of NCHW images to a new size. Both modes are separable linear maps: rows, then
// columns, each picking input rows (IndexSelect) and — for bilinear — blending two of them with
// fixed weights. They are written with differentiable tensor ops, so the backward is the
// transposed sampling (IndexAdd spreads each output's gradient back onto the rows it read)
// and is itself differentiable.
public partial class Tensor
{
    /// <summary>
    /// Nearest-neighbour upsampling (<c>upsample_nearest2d</c>) of [N, C, H, W] or [C, H, W] to
    /// [.., outputSize.H, outputSize.W]: output row i reads input row min(⌊i·scale⌋, H − 1), scale = 1/scalesH
    /// when given (as <c>interpolate</c> passes its scale factor), else H / outputSize.H. Likewise columns.
    /// </summary>
    public Tensor UpsampleNearest2d(Pair2d outputSize, double? scalesH = null, double? scalesW = null)
    {
        var (x, unbatched) = CheckResample("UpsampleNearest2d", this, outputSize);
        var rows = NearestIndices(x.shape[2], outputSize.H, scalesH);
        var columns = NearestIndices(x.shape[3], outputSize.W, scalesW);
        var result = x.IndexSelect(2, rows).IndexSelect(3, columns);
        return unbatched ? result.Squeeze(0) : result;
    }

    /// <summary>
    /// Bilinear upsampling (<c>upsample_bilinear2d</c>) of [N, C, H, W] or [C, H, W] to [.., outputSize.H, outputSize.W].
    /// With <paramref name="alignCorners"/> the corner pixels' centres coincide: source = i·(H − 1)/(out − 1);
    /// otherwise source = max((i + ½)·scale − ½, 0) with scale = 1/scalesH when given, else H / out (PyTorch's rule).
    /// </summary>
    public Tensor UpsampleBilinear2d(Pair2d outputSize, bool alignCorners, double? scalesH = null, double? scalesW = null)
    {
        var (x, unbatched) = CheckResample("UpsampleBilinear2d", this, outputSize);
        var result = LinearAlong(x, 2, outputSize.H, alignCorners, scalesH);
        result = LinearAlong(result, 3, outputSize.W, alignCorners, scalesW);
        return unbatched ? result.Squeeze(0) : result;
    }

    /// <summary>PyTorch's nearest_idx: the identity for equal sizes, i / 2 for exact doubling, else ⌊i·scale⌋ in float32 (as PyTorch computes it).</summary>
    static Tensor NearestIndices(int inSize, int outSize, double? scales)
    {
        var index = new long[outSize];
        float scale = scales is > 0 ? (float)(1.0 / scales.Value) : (float)inSize / outSize;
        for (int i = 0; i < outSize; i++)
            index[i] = outSize == inSize ? i
                : outSize == 2 * inSize ? i >> 1
                : Math.Min((long)MathF.Floor(i * scale), inSize - 1);
        return From(index);
    }

    /// <summary>
    /// 1-D linear interpolation along <paramref name="dim"/>: y_i = (1 − λ_i)·x[i0] + λ_i·x[i1] with i0 = ⌊source_i⌋,
    /// i1 = min(i0 + 1, in − 1) and λ_i = source_i − i0 (PyTorch's area_pixel_compute_source_index).
    /// </summary>
    static Tensor LinearAlong(Tensor x, int dim, int outSize, bool alignCorners, double? scales)
    {
        int inSize = x.shape[dim];
        if (inSize == outSize) return x;
        double scale = alignCorners
            ? (outSize > 1 ? (inSize - 1) / (double)(outSize - 1) : 0)
            : (scales is > 0 ? 1.0 / scales.Value : inSize / (double)outSize);
        var lower = new long[outSize];
        var upper = new long[outSize];
        var lambda = new double[outSize];
        for (int i = 0; i < outSize; i++)
        {
            double source = alignCorners ? scale * i : Math.Max(scale * (i + 0.5) - 0.5, 0);
            int i0 = Math.Min((int)source, inSize - 1);
            lower[i] = i0;
            upper[i] = Math.Min(i0 + 1, inSize - 1);
            lambda[i] = Math.Min(source - i0, 1);
        }
        int[] weightShape = [1, 1, 1, 1];
        weightShape[dim] = outSize;
        var upperWeight = From(lambda, weightShape).To(x.DType);
        var lowerWeight = (1.0 - upperWeight).To(x.DType);
        return x.IndexSelect(dim, From(lower)) * lowerWeight + x.IndexSelect(dim, From(upper)) * upperWeight;
    }

    static (Tensor X, bool Unbatched) CheckResample(string op, Tensor input, Pair2d outputSize)
    {
        if (!input.DType.IsFloatingPoint())
            throw new DTypeException($"{op}: expects a Float32 or Float64 input, got {input.DType}.");
        if (input.Rank != 3 && input.Rank != 4)
            throw new ShapeException($"{op}: expects a 3-D (unbatched) or 4-D (batched) input, got shape {input.Shape}.");
        if (input.shape[^1] < 1 || input.shape[^2] < 1)
            throw new ShapeException($"{op}: input of shape {input.Shape} has an empty spatial dimension.");
        if (outputSize.H < 1 || outputSize.W < 1)
            throw new ArgumentException($"{op}: output size must be positive, got {outputSize}.", nameof(outputSize));
        bool unbatched = input.Rank == 3;
        return (unbatched ? input.Unsqueeze(0) : input, unbatched);
    }
}
