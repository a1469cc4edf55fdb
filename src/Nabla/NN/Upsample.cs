namespace Nabla.NN;

/// <summary>
/// Upsampling layer (<c>nn.Upsample</c>): resizes images to <see cref="Size"/> or by <see cref="ScaleFactor"/>
/// with nearest-neighbour or bilinear sampling, through <see cref="Functional.Interpolate"/>.
/// Shape: [N, C, H, W] → [N, C, Hout, Wout], Hout = size.H or ⌊H·scaleFactor.H⌋ (likewise Wout);
/// [N, C, L] → [N, C, Lout] with modes "nearest" and "linear".
/// </summary>
public sealed class Upsample : Module<Tensor, Tensor>
{
    /// <summary>The output size, if given.</summary>
    public Pair2d? Size { get; }

    /// <summary>The scale factor, if given.</summary>
    public Scale2d? ScaleFactor { get; }

    /// <summary>"nearest", "bilinear" (4-D input) or "linear" (3-D input).</summary>
    public string Mode { get; }

    /// <summary>Whether the corner pixels' centres are aligned (linear modes only).</summary>
    public bool? AlignCorners { get; }

    /// <summary>An upsampling layer; give exactly one of <paramref name="size"/> and <paramref name="scaleFactor"/>.</summary>
    /// <param name="size">Output size: one int or (height, width).</param>
    /// <param name="scaleFactor">Multiplier of the input size: one number or (height, width).</param>
    /// <param name="mode">"nearest" (default), "bilinear" or "linear".</param>
    /// <param name="alignCorners">Linear modes only: map corner pixel centres onto each other.</param>
    public Upsample(Pair2d? size = null, Scale2d? scaleFactor = null, string mode = "nearest", bool? alignCorners = null)
    {
        if ((size is null) == (scaleFactor is null))
            throw new ArgumentException("Upsample: give exactly one of size and scaleFactor.", size is null ? nameof(size) : nameof(scaleFactor));
        if (mode is not ("nearest" or "bilinear" or "linear"))
            throw new ArgumentException($"Upsample: mode must be \"nearest\", \"linear\" or \"bilinear\", got \"{mode}\".", nameof(mode));
        Size = size;
        ScaleFactor = scaleFactor;
        Mode = mode;
        AlignCorners = alignCorners;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Interpolate(input, Size, ScaleFactor, Mode, AlignCorners);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        (ScaleFactor is { } f ? $"scale_factor={f}" : $"size={Size!.Value.IntOrTuple}") + $", mode={Mode}";
}
