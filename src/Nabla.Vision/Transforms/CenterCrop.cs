namespace Nabla.Vision.Transforms;

/// <summary>
/// Crops the centre (<c>transforms.CenterCrop</c>): top = round((H − h) / 2), left = round((W − w) / 2),
/// rounding half to even as Python; a crop larger than the image is padded with zeros around it.
/// Shape: [C, H, W] → [C, h, w].
/// </summary>
public sealed class CenterCrop : Transform
{
    readonly int height, width;

    /// <summary>A square centre crop.</summary>
    public CenterCrop(int size) : this(size, size) { }

    /// <summary>A <paramref name="height"/> × <paramref name="width"/> centre crop.</summary>
    public CenterCrop(int height, int width)
    {
        if (height < 1 || width < 1) throw new ArgumentException($"CenterCrop: size must be positive, got ({height}, {width}).", nameof(height));
        this.height = height;
        this.width = width;
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor image)
    {
        var (_, h, w) = CheckImage(image, "CenterCrop");
        return ImageOps.Crop(image, Offset(h, height), Offset(w, width), height, width);
    }

    // torchvision pads (size − side) / 2 (floored) before when the crop is larger, otherwise rounds.
    static int Offset(int side, int crop) => crop > side ? -((crop - side) / 2) : (int)Math.Round((side - crop) / 2.0, MidpointRounding.ToEven);
}
