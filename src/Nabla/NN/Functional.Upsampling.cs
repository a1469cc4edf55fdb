namespace Nabla.NN;

// Resizing images (torch.nn.functional.interpolate) through the upsampling ops in Ops/Upsampling.cs.
public static partial class Functional
{
    /// <summary>
    /// Resizes [N, C, H, W] images (modes <c>"nearest"</c>, <c>"bilinear"</c>) or [N, C, L] sequences (modes
    /// <c>"nearest"</c>, <c>"linear"</c>) to <paramref name="size"/>, or by <paramref name="scaleFactor"/> (output ⌊in·factor⌋,
    /// and the factor itself used to place samples, as PyTorch does without <c>recompute_scale_factor</c>) (<c>F.interpolate</c>).
    /// Give exactly one of size and scaleFactor. <paramref name="alignCorners"/> (linear modes only, default false)
    /// maps the corner pixels' centres onto each other. Differentiable: the backward spreads each output's gradient
    /// onto the input pixels it was sampled from, with the same weights.
    /// </summary>
    public static Tensor Interpolate(Tensor input, Pair2d? size = null, Scale2d? scaleFactor = null, string mode = "nearest", bool? alignCorners = null)
    {
        if ((size is null) == (scaleFactor is null))
            throw new ArgumentException("Interpolate: give exactly one of size and scaleFactor.", size is null ? nameof(size) : nameof(scaleFactor));
        bool oneDim = input.Rank == 3;
        if (input.Rank != 3 && input.Rank != 4)
            throw new ShapeException($"Interpolate: expects a 3-D [N, C, L] or 4-D [N, C, H, W] input, got shape {input.Shape}.");
        string linear = oneDim ? "linear" : "bilinear";
        if (mode != "nearest" && mode != linear)
            throw new ArgumentException($"Interpolate: mode \"{mode}\" is not supported for a {input.Rank}-D input; use \"nearest\" or \"{linear}\".", nameof(mode));
        if (mode == "nearest" && alignCorners != null)
            throw new ArgumentException("Interpolate: alignCorners can only be set with the interpolating modes (linear, bilinear).", nameof(alignCorners));
        if (scaleFactor is { } f && (f.H <= 0 || f.W <= 0 || double.IsNaN(f.H) || double.IsNaN(f.W)))
            throw new ArgumentException($"Interpolate: scale factors must be positive, got {f}.", nameof(scaleFactor));

        // 1-D resizing is 2-D resizing of height 1 with the height left alone.
        var x = oneDim ? input.Unsqueeze(2) : input;
        double? scaleH = oneDim ? null : scaleFactor?.H, scaleW = scaleFactor?.W;
        var outSize = size is { } s
            ? (oneDim ? new Pair2d(1, s.W) : s)
            : new Pair2d(scaleH is { } h ? (int)Math.Floor(x.Size(2) * h) : 1, (int)Math.Floor(x.Size(3) * scaleW!.Value));
        var output = mode == "nearest"
            ? x.UpsampleNearest2d(outSize, scaleH, scaleW)
            : x.UpsampleBilinear2d(outSize, alignCorners ?? false, alignCorners == true ? null : scaleH, alignCorners == true ? null : scaleW);
        return oneDim ? output.Squeeze(2) : output;
    }
}
