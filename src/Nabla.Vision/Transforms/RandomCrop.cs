namespace Nabla.Vision.Transforms;

/// <summary>
/// A crop at a random position (<c>transforms.RandomCrop</c>), after padding every side with
/// <c>padding</c> pixels of <c>fill</c> (the classic CIFAR/Fashion-MNIST augmentation: pad 4, crop back).
/// Shape: [C, H, W] → [C, h, w].
/// </summary>
public sealed class RandomCrop : Transform
{
    readonly int height, width, padding;
    readonly double fill;
    readonly Generator generator;

    /// <summary>A random <paramref name="size"/> × <paramref name="size"/> crop.</summary>
    public RandomCrop(int size, int padding = 0, double fill = 0, Generator? generator = null) : this(size, size, padding, fill, generator) { }

    /// <summary>A random <paramref name="height"/> × <paramref name="width"/> crop of the padded image.</summary>
    public RandomCrop(int height, int width, int padding = 0, double fill = 0, Generator? generator = null)
    {
        if (height < 1 || width < 1) throw new ArgumentException($"RandomCrop: size must be positive, got ({height}, {width}).", nameof(height));
        if (padding < 0) throw new ArgumentException($"RandomCrop: padding must be non-negative, got {padding}.", nameof(padding));
        this.height = height;
        this.width = width;
        this.padding = padding;
        this.fill = fill;
        this.generator = generator ?? Generator.Default;
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor image)
    {
        var (_, h, w) = CheckImage(image, "RandomCrop");
        int paddedH = h + 2 * padding, paddedW = w + 2 * padding;
        if (height > paddedH || width > paddedW)
            throw new ShapeException($"RandomCrop: crop ({height}, {width}) is larger than the padded image ({paddedH}, {paddedW}).");
        int top = RandomInt(generator, paddedH - height + 1) - padding;
        int left = RandomInt(generator, paddedW - width + 1) - padding;
        return ImageOps.Crop(image, top, left, height, width, fill);
    }
}
