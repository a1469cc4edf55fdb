namespace Nabla.Vision.Transforms;

/// <summary>Mirrors the image top–bottom with probability <c>p</c> (<c>transforms.RandomVerticalFlip</c>). Shape: unchanged.</summary>
public sealed class RandomVerticalFlip : Transform
{
    readonly double p;
    readonly Generator generator;

    /// <summary>A flip with probability <paramref name="p"/>.</summary>
    public RandomVerticalFlip(double p = 0.5, Generator? generator = null)
    {
        if (p is < 0 or > 1) throw new ArgumentException($"RandomVerticalFlip: p must be in [0, 1], got {p}.", nameof(p));
        this.p = p;
        this.generator = generator ?? Generator.Default;
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor image)
    {
        CheckImage(image, "RandomVerticalFlip");
        return generator.NextDouble() < p ? image.Flip(1) : image;
    }
}
