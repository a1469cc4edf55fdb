namespace Nabla.Vision.Transforms;

/// <summary>
/// Rotates the image about its centre by an angle drawn uniformly in [min, max] degrees,
/// counter-clockwise for positive angles, keeping its size (<c>transforms.RandomRotation</c> with
/// nearest interpolation and <c>expand=False</c>); pixels that come from outside read <c>fill</c>.
/// Shape: unchanged.
/// </summary>
public sealed class RandomRotation : Transform
{
    readonly (double Min, double Max) degrees;
    readonly double fill;
    readonly Generator generator;

    /// <summary>A rotation by an angle in [−<paramref name="degrees"/>, <paramref name="degrees"/>].</summary>
    public RandomRotation(double degrees, double fill = 0, Generator? generator = null) : this((-degrees, degrees), fill, generator)
    {
        if (degrees < 0) throw new ArgumentException($"RandomRotation: degrees must be non-negative, got {degrees}.", nameof(degrees));
    }

    /// <summary>A rotation by an angle in [min, max] degrees.</summary>
    public RandomRotation((double Min, double Max) degrees, double fill = 0, Generator? generator = null)
    {
        if (degrees.Min > degrees.Max) throw new ArgumentException($"RandomRotation: range {degrees} is empty.", nameof(degrees));
        this.degrees = degrees;
        this.fill = fill;
        this.generator = generator ?? Generator.Default;
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor image)
    {
        CheckImage(image, "RandomRotation");
        return Rotate(image, Uniform(generator, degrees.Min, degrees.Max), fill);
    }

    /// <summary>Rotates <paramref name="image"/> by <paramref name="angle"/> degrees counter-clockwise (nearest neighbour).</summary>
    public static Tensor Rotate(Tensor image, double angle, double fill = 0)
    {
        int c = image.Size(0), h = image.Size(1), w = image.Size(2);
        double theta = angle * Math.PI / 180, cos = Math.Cos(theta), sin = Math.Sin(theta);
        var source = image.Contiguous().ToArray<float>();
        var output = new float[source.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                // Output pixel centre in centred coordinates (u right, v up), rotated back by −θ.
                double u = x + 0.5 - w / 2.0, v = h / 2.0 - (y + 0.5);
                double us = u * cos + v * sin, vs = -u * sin + v * cos;
                int sx = (int)Math.Round(us + w / 2.0 - 0.5, MidpointRounding.ToEven);
                int sy = (int)Math.Round(h / 2.0 - vs - 0.5, MidpointRounding.ToEven);
                bool inside = sx >= 0 && sx < w && sy >= 0 && sy < h;
                for (int ch = 0; ch < c; ch++)
                    output[(ch * h + y) * w + x] = inside ? source[(ch * h + sy) * w + sx] : (float)fill;
            }
        return Tensor.From(output, c, h, w).To(image.DType);
    }
}
