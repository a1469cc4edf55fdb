using Nabla.NN;

namespace Nabla.Vision.Transforms;

/// <summary>Operations shared by the transforms, on [C, H, W] images.</summary>
static class ImageOps
{
    /// <summary>
    /// The window of height <paramref name="height"/> and width <paramref name="width"/> whose top-left
    /// corner is (<paramref name="top"/>, <paramref name="left"/>); parts outside the image read
    /// <paramref name="fill"/> (so a negative top or left pads, as torchvision's crop does).
    /// </summary>
    public static Tensor Crop(Tensor image, int top, int left, int height, int width, double fill = 0)
    {
        int c = image.Size(0), h = image.Size(1), w = image.Size(2);
        if (top >= 0 && left >= 0 && top + height <= h && left + width <= w)
            return image.Narrow(1, top, height).Narrow(2, left, width).Contiguous();
        var source = image.Contiguous().ToArray<float>();
        var output = new float[c * height * width];
        Array.Fill(output, (float)fill);
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < height; y++)
            {
                int sy = top + y;
                if (sy < 0 || sy >= h) continue;
                for (int x = 0; x < width; x++)
                {
                    int sx = left + x;
                    if (sx >= 0 && sx < w) output[(ch * height + y) * width + x] = source[(ch * h + sy) * w + sx];
                }
            }
        return Tensor.From(output, c, height, width).To(image.DType);
    }

    /// <summary>Bilinear resize (half-pixel centres, no antialiasing: torchvision's tensor default in 0.14).</summary>
    public static Tensor Resize(Tensor image, int height, int width)
    {
        if (image.Size(1) == height && image.Size(2) == width) return image;
        return Functional.Interpolate(image.Unsqueeze(0), new Pair2d(height, width), mode: "bilinear", alignCorners: false).Squeeze(0);
    }

    /// <summary>ITU-R 601-2 luma of a 3-channel image as [1, H, W]: 0.2989 R + 0.587 G + 0.114 B; a 1-channel image is its own.</summary>
    public static Tensor Grayscale(Tensor image)
    {
        if (image.Size(0) == 1) return image;
        return image.Narrow(0, 0, 1) * 0.2989 + image.Narrow(0, 1, 1) * 0.587 + image.Narrow(0, 2, 1) * 0.114;
    }

    /// <summary>(factor · image + (1 − factor) · other) clamped to [0, 1] (torchvision's <c>_blend</c>).</summary>
    public static Tensor Blend(Tensor image, Tensor other, double factor) =>
        (image * factor + other * (1 - factor)).Clamp(0, 1);
}
