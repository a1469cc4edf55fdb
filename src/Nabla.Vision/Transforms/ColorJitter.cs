namespace Nabla.Vision.Transforms;

/// <summary>
/// Random brightness, contrast, saturation and hue changes applied in a random order
/// (<c>transforms.ColorJitter</c>), on images with values in [0, 1]. Factors are drawn as torchvision's:
/// brightness, contrast and saturation uniformly in [max(0, 1 − v), 1 + v], hue in [−h, h] (h ≤ 0.5).
/// Brightness scales the image; contrast blends it with the mean of its grayscale; saturation blends
/// it with its grayscale (no-op for 1 channel); hue rotates the hue in HSV space (3 channels only; a
/// 1-channel image is left alone, as torchvision does). Results are clamped to [0, 1].
/// Shape: unchanged.
/// </summary>
public sealed class ColorJitter : Transform
{
    readonly double brightness, contrast, saturation, hue;
    readonly Generator generator;

    /// <summary>A colour jitter; 0 turns a component off.</summary>
    public ColorJitter(double brightness = 0, double contrast = 0, double saturation = 0, double hue = 0, Generator? generator = null)
    {
        if (brightness < 0 || contrast < 0 || saturation < 0)
            throw new ArgumentException($"ColorJitter: brightness {brightness}, contrast {contrast} and saturation {saturation} must be non-negative.", nameof(brightness));
        if (hue is < 0 or > 0.5) throw new ArgumentException($"ColorJitter: hue must be in [0, 0.5], got {hue}.", nameof(hue));
        this.brightness = brightness;
        this.contrast = contrast;
        this.saturation = saturation;
        this.hue = hue;
        this.generator = generator ?? Generator.Default;
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor image)
    {
        var (c, _, _) = CheckImage(image, "ColorJitter");
        if (c != 1 && c != 3) throw new ShapeException($"ColorJitter: expects 1 or 3 channels, got shape {image.Shape}.");
        // Order first, then the factors, each drawn only when its component is on.
        int[] order = [0, 1, 2, 3];
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = RandomInt(generator, i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        double? b = brightness > 0 ? Uniform(generator, Math.Max(0, 1 - brightness), 1 + brightness) : null;
        double? k = contrast > 0 ? Uniform(generator, Math.Max(0, 1 - contrast), 1 + contrast) : null;
        double? s = saturation > 0 ? Uniform(generator, Math.Max(0, 1 - saturation), 1 + saturation) : null;
        double? h = hue > 0 ? Uniform(generator, -hue, hue) : null;
        foreach (int op in order)
        {
            image = op switch
            {
                0 when b is { } f => AdjustBrightness(image, f),
                1 when k is { } f => AdjustContrast(image, f),
                2 when s is { } f => AdjustSaturation(image, f),
                3 when h is { } f => AdjustHue(image, f),
                _ => image,
            };
        }
        return image;
    }

    /// <summary>image · factor, clamped to [0, 1].</summary>
    public static Tensor AdjustBrightness(Tensor image, double factor) => (image * factor).Clamp(0, 1);

    /// <summary>Blend with the mean of the grayscale image: factor · image + (1 − factor) · mean, clamped.</summary>
    public static Tensor AdjustContrast(Tensor image, double factor) =>
        ImageOps.Blend(image, ImageOps.Grayscale(image).Mean(), factor);

    /// <summary>Blend with the grayscale image; a 1-channel image is returned unchanged.</summary>
    public static Tensor AdjustSaturation(Tensor image, double factor) =>
        image.Size(0) == 1 ? image : ImageOps.Blend(image, ImageOps.Grayscale(image), factor);

    /// <summary>Shifts the hue by <paramref name="factor"/> turns (in [−0.5, 0.5]) in HSV space; 1-channel images are unchanged.</summary>
    public static Tensor AdjustHue(Tensor image, double factor)
    {
        if (image.Size(0) == 1) return image;
        if (image.Size(0) != 3) throw new ShapeException($"AdjustHue: expects 1 or 3 channels, got shape {image.Shape}.");
        int plane = image.Size(1) * image.Size(2);
        var rgb = image.Contiguous().ToArray<float>();
        var output = new float[rgb.Length];
        for (int i = 0; i < plane; i++)
        {
            float r = rgb[i], g = rgb[plane + i], b = rgb[2 * plane + i];
            // RGB → HSV (torchvision's _rgb2hsv).
            float max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b));
            float chroma = max - min;
            float sat = chroma / (max == min ? 1 : max);
            float divisor = max == min ? 1 : chroma;
            float rc = (max - r) / divisor, gc = (max - g) / divisor, bc = (max - b) / divisor;
            float hh = max == r ? bc - gc : max == g ? 2 + rc - bc : 4 + gc - rc;
            double h = (hh / 6.0 + 1.0) % 1.0;
            h = ((h + factor) % 1.0 + 1.0) % 1.0;
            // HSV → RGB (torchvision's _hsv2rgb).
            double sector = Math.Floor(h * 6), frac = h * 6 - sector;
            double v = max;
            double p = Math.Clamp(v * (1 - sat), 0, 1), q = Math.Clamp(v * (1 - sat * frac), 0, 1), t = Math.Clamp(v * (1 - sat * (1 - frac)), 0, 1);
            (double R, double G, double B) o = ((int)sector % 6) switch
            {
                0 => (v, t, p),
                1 => (q, v, p),
                2 => (p, v, t),
                3 => (p, q, v),
                4 => (t, p, v),
                _ => (v, p, q),
            };
            output[i] = (float)o.R;
            output[plane + i] = (float)o.G;
            output[2 * plane + i] = (float)o.B;
        }
        return Tensor.From(output, image.Shape.ToArray()).To(image.DType);
    }
}
