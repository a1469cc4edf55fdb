namespace Nabla.Vision.Transforms;

/// <summary>
/// An image transform, as torchvision's: a function of one [C, H, W] float tensor (after
/// <see cref="ToTensor"/>) returning another. Random transforms draw from the
/// <see cref="Generator"/> they were given, so a seeded pipeline gives the same images every run.
/// A transform converts to <c>Func&lt;Tensor, Tensor&gt;</c> for datasets that take one.
/// </summary>
public abstract class Transform
{
    /// <summary>Applies the transform (PyTorch's <c>transform(img)</c>).</summary>
    public abstract Tensor Call(Tensor image);

    /// <summary>The transform as a function.</summary>
    public static implicit operator Func<Tensor, Tensor>(Transform transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        return transform.Call;
    }

    /// <summary>Checks that <paramref name="image"/> is a [C, H, W] float tensor; returns (C, H, W).</summary>
    protected static (int C, int H, int W) CheckImage(Tensor image, string op)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Rank != 3)
            throw new ShapeException($"{op}: expects a [C, H, W] image, got shape {image.Shape}.");
        if (image.DType is not (DType.Float32 or DType.Float64))
            throw new DTypeException($"{op}: expects a floating-point image (use ToTensor first), got {image.DType}.");
        return (image.Size(0), image.Size(1), image.Size(2));
    }

    /// <summary>A uniform integer in [0, n).</summary>
    protected static int RandomInt(Generator generator, int n) => Math.Min(n - 1, (int)(generator.NextDouble() * n));

    /// <summary>A uniform double in [low, high).</summary>
    protected static double Uniform(Generator generator, double low, double high) => low + (high - low) * generator.NextDouble();
}
