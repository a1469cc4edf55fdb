namespace Nabla.Vision.Transforms;

/// <summary>
/// A random crop of random area and aspect ratio, resized (bilinear) to a fixed size
/// (<c>transforms.RandomResizedCrop</c>, Inception-style augmentation). As torchvision: up to 10
/// tries draw an area fraction in <c>scale</c> and a log-uniform aspect ratio in <c>ratio</c>; if none
/// fits, the centre crop with the ratio clamped to <c>ratio</c>.
/// Shape: [C, H, W] → [C, height, width].
/// </summary>
public sealed class RandomResizedCrop : Transform
{
    readonly int height, width;
    readonly (double Min, double Max) scale, ratio;
    readonly Generator generator;

    /// <summary>A random resized crop to <paramref name="size"/> × <paramref name="size"/>.</summary>
    /// <param name="size">Output side.</param>
    /// <param name="scale">Range of the crop's area as a fraction of the image's; (0.08, 1) by default.</param>
    /// <param name="ratio">Range of the crop's width/height; (3/4, 4/3) by default.</param>
    /// <param name="generator">Random source.</param>
    public RandomResizedCrop(int size, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null, Generator? generator = null)
        : this(size, size, scale, ratio, generator) { }

    /// <summary>A random resized crop to <paramref name="height"/> × <paramref name="width"/>.</summary>
    public RandomResizedCrop(int height, int width, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null, Generator? generator = null)
    {
        if (height < 1 || width < 1) throw new ArgumentException($"RandomResizedCrop: size must be positive, got ({height}, {width}).", nameof(height));
        this.height = height;
        this.width = width;
        this.scale = scale ?? (0.08, 1.0);
        this.ratio = ratio ?? (3.0 / 4, 4.0 / 3);
        if (this.scale.Min > this.scale.Max || this.ratio.Min > this.ratio.Max || this.scale.Min <= 0 || this.ratio.Min <= 0)
            throw new ArgumentException($"RandomResizedCrop: scale {this.scale} and ratio {this.ratio} must be positive (min, max) ranges.", nameof(scale));
        this.generator = generator ?? Generator.Default;
    }

    /// <summary>The crop (top, left, height, width) for an image of <paramref name="imageHeight"/> × <paramref name="imageWidth"/>.</summary>
    public (int Top, int Left, int Height, int Width) GetParams(int imageHeight, int imageWidth)
    {
        double area = (double)imageHeight * imageWidth;
        double logMin = Math.Log(ratio.Min), logMax = Math.Log(ratio.Max);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double targetArea = area * Uniform(generator, scale.Min, scale.Max);
            double aspect = Math.Exp(Uniform(generator, logMin, logMax));
            int w = (int)Math.Round(Math.Sqrt(targetArea * aspect));
            int h = (int)Math.Round(Math.Sqrt(targetArea / aspect));
            if (w > 0 && h > 0 && w <= imageWidth && h <= imageHeight)
                return (RandomInt(generator, imageHeight - h + 1), RandomInt(generator, imageWidth - w + 1), h, w);
        }
        // Fallback: the whole image, trimmed to the nearest allowed aspect ratio, centred.
        double inRatio = (double)imageWidth / imageHeight;
        int cropW = imageWidth, cropH = imageHeight;
        if (inRatio < ratio.Min) cropH = (int)Math.Round(imageWidth / ratio.Min);
        else if (inRatio > ratio.Max) cropW = (int)Math.Round(imageHeight * ratio.Max);
        return ((imageHeight - cropH) / 2, (imageWidth - cropW) / 2, cropH, cropW);
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor image)
    {
        var (_, h, w) = CheckImage(image, "RandomResizedCrop");
        var (top, left, cropH, cropW) = GetParams(h, w);
        return ImageOps.Resize(ImageOps.Crop(image, top, left, cropH, cropW), height, width);
    }
}
