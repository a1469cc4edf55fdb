using Nabla.Cli.Plotting;
using Nabla.Vision.Style;
using Nabla.Vision.Transforms;
using StbImageSharp;

namespace Nabla.Cli;

/// <summary>Reads the images of <c>nabla style</c> and writes its results as PNG.</summary>
public static class StyleImage
{
    /// <summary>
    /// An RGB image in [0, 1], <c>[1, 3, H, W]</c>: the file <paramref name="pathOrName"/>, or the embedded image of that name
    /// (<see cref="StyleImages.Names"/>: <c>dog</c>, <c>scream</c>), resized (bilinear) to <paramref name="height"/> ×
    /// <paramref name="width"/>, or with <paramref name="width"/> null to that height at the image's aspect ratio.
    /// </summary>
    /// <param name="pathOrName">A PNG, JPEG, … file, or the name of an embedded image.</param>
    /// <param name="option">The option that gave it, for the messages.</param>
    /// <param name="height">Height after the resize.</param>
    /// <param name="width">Width after the resize; null: keep the aspect ratio.</param>
    /// <exception cref="FileNotFoundException">Neither a file nor an embedded image.</exception>
    /// <exception cref="InvalidDataException">Not an image StbImageSharp can decode.</exception>
    public static Tensor Load(string pathOrName, string option, int height, int? width = null)
    {
        ArgumentNullException.ThrowIfNull(pathOrName);
        byte[] bytes;
        if (StyleImages.Names.Contains(pathOrName) && !File.Exists(pathOrName))
        {
            bytes = StyleImages.Read(pathOrName);
        }
        else if (File.Exists(pathOrName))
        {
            bytes = ImageInput.ReadBounded(pathOrName);
        }
        else
        {
            throw new FileNotFoundException($"{option} {pathOrName}: no such file (the embedded images are {string.Join(" and ", StyleImages.Names)}).", pathOrName);
        }
        ImageResult image;
        try
        {
            image = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{option} {pathOrName}: not a readable image ({exception.Message.Split('\n')[0]}).", exception);
        }
        int w = image.Width, h = image.Height;
        var planes = new float[3 * h * w];
        for (int i = 0; i < h * w; i++)
        {
            for (int c = 0; c < 3; c++) planes[c * h * w + i] = image.Data[3 * i + c] / 255f;
        }
        var rgb = Tensor.From(planes, 3, h, w);
        int targetWidth = width ?? Math.Max(1, (int)Math.Round((double)height * w / h));
        return new Resize(height, targetWidth).Call(rgb).Unsqueeze(0);
    }

    /// <summary>The bytes of an RGB image <c>[1, 3, H, W]</c> in [0, 1], interleaved (HWC) for <see cref="Canvas.DrawImage"/>.</summary>
    public static byte[] ToRgbBytes(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int h = image.Shape[2], w = image.Shape[3];
        float[] planes = image.Clamp(0, 1).Contiguous().To(DType.Float32).ToArray<float>();
        var bytes = new byte[3 * h * w];
        for (int i = 0; i < h * w; i++)
        {
            for (int c = 0; c < 3; c++) bytes[3 * i + c] = (byte)Math.Round(planes[c * h * w + i] * 255);
        }
        return bytes;
    }

    /// <summary>Writes an RGB image <c>[1, 3, H, W]</c> in [0, 1] to the PNG <paramref name="path"/> (its directory is created).</summary>
    public static void SavePng(Tensor image, string path)
    {
        ArgumentNullException.ThrowIfNull(image);
        var canvas = new Canvas(image.Shape[3], image.Shape[2], Rgb.White);
        canvas.DrawImage(ToRgbBytes(image), image.Shape[3], image.Shape[2], 3, 0, 0);
        canvas.SavePng(path);
    }

    /// <summary>Writes the images side by side, each with its caption above it, to the PNG <paramref name="path"/>.</summary>
    public static void SaveSideBySide(IReadOnlyList<(string Caption, Tensor Image)> images, string path)
    {
        ArgumentNullException.ThrowIfNull(images);
        const int gap = 8, captionSize = 14, captionHeight = 22;
        int width = gap + images.Sum(i => i.Image.Shape[3] + gap);
        int height = captionHeight + images.Max(i => i.Image.Shape[2]) + gap;
        var canvas = new Canvas(width, height, Rgb.White);
        int x = gap;
        foreach (var (caption, image) in images)
        {
            canvas.DrawText(caption, x, captionHeight - 6, captionSize, Rgb.Black);
            canvas.DrawImage(ToRgbBytes(image), image.Shape[3], image.Shape[2], 3, x, captionHeight, 1);
            x += image.Shape[3] + gap;
        }
        canvas.SavePng(path);
    }
}
