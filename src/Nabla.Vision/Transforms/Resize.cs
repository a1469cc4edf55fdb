namespace Nabla.Vision.Transforms;

/// <summary>
/// Bilinear resize (<c>transforms.Resize</c>, through <c>Functional.Interpolate</c>, no antialiasing).
/// With a single size, the shorter side becomes that size and the other keeps the aspect ratio
/// (⌊size · long / short⌋); with (height, width), the image takes exactly that size.
/// Shape: [C, H, W] → [C, H', W'].
/// </summary>
public sealed class Resize : Transform
{
    readonly int? shorterSide;
    readonly (int H, int W) size;

    /// <summary>Resize so that the shorter side is <paramref name="size"/>.</summary>
    public Resize(int size)
    {
        if (size < 1) throw new ArgumentException($"Resize: size must be positive, got {size}.", nameof(size));
        shorterSide = size;
    }

    /// <summary>Resize to exactly <paramref name="height"/> × <paramref name="width"/>.</summary>
    public Resize(int height, int width)
    {
        if (height < 1 || width < 1) throw new ArgumentException($"Resize: size must be positive, got ({height}, {width}).", nameof(height));
        size = (height, width);
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor image)
    {
        var (_, h, w) = CheckImage(image, "Resize");
        if (shorterSide is not { } s) return ImageOps.Resize(image, size.H, size.W);
        return h <= w
            ? ImageOps.Resize(image, s, (int)((long)s * w / h))
            : ImageOps.Resize(image, (int)((long)s * h / w), s);
    }
}
