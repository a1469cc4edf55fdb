namespace Nabla.Vision.Transforms;

/// <summary>Mirrors the image left–right with probability <c>p</c> (<c>transforms.RandomHorizontalFlip</c>). Shape: unchanged.</summary>
public sealed class RandomHorizontalFlip : Transform
{
    readonly double p;
    readonly Generator generator;

    /// <summary>A flip with probability <paramref name="p"/>.</summary>
    public RandomHorizontalFlip(double p = 0.5, Generator? generator = null)
    {
        if (p is < 0 or > 1) throw new ArgumentException($"RandomHorizontalFlip: p must be in [0, 1], got {p}.", nameof(p));
        this.p = p;
        this.generator = generator ?? Generator.Default;
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor image)
    {
        CheckImage(image, "RandomHorizontalFlip");
        return generator.NextDouble() < p ? image.Flip(2) : image;
    }
}
