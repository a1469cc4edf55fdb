using StbImageSharp;

namespace Nabla.Cli;

/// <summary>Turns an image file into the input Fashion-MNIST models expect.</summary>
public static class ImageInput
{
    /// <summary>Side of a Fashion-MNIST image.</summary>
    public const int Size = 28;

    /// <summary>The largest image file read (64 MiB): a photo is far smaller, and a device such as /dev/zero never ends.</summary>
    public const int MaxFileBytes = 64 << 20;

    /// <summary>
    /// Reads a PNG, JPEG, BMP, GIF, … file as grayscale, shrinks it to 28×28 by averaging the
    /// source pixels that fall in each target pixel, and scales it to [0, 1]. Fashion-MNIST shows
    /// light garments on a black background; a photo with a light background (its border brighter
    /// than mid-grey) is inverted to match.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <param name="inverted">Whether the image was inverted.</param>
    /// <returns>A Float32 tensor <c>[1, 1, 28, 28]</c>.</returns>
    /// <exception cref="InvalidDataException">The file is not an image StbImageSharp can decode, or is larger than <see cref="MaxFileBytes"/>.</exception>
    /// <exception cref="FileNotFoundException">There is no such file (or it is a directory).</exception>
    public static Tensor Load(string path, out bool inverted)
    {
        byte[] bytes = ReadBounded(path);
        ImageResult image;
        try
        {
            image = ImageResult.FromMemory(bytes, ColorComponents.Grey);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: not a readable image ({Printable(exception.Message)}).", exception);
        }
        float[] pixels = Resize(image.Data, image.Width, image.Height, Size, Size);
        inverted = BorderMean(pixels, Size, Size) > 127.5f;
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (inverted ? 255f - pixels[i] : pixels[i]) / 255f;
        }
        return Tensor.From(pixels, 1, 1, Size, Size);
    }

    /// <summary>The bytes of <paramref name="path"/>, read up to <see cref="MaxFileBytes"/>: a longer file or an endless device is refused.</summary>
    public static byte[] ReadBounded(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            throw new FileNotFoundException($"--image {path} is a directory; give an image file.", path);
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"--image {path}: no such file.", path);
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > MaxFileBytes)
            {
                throw new InvalidDataException($"--image {path}: larger than {MaxFileBytes >> 20} MiB, not an image nabla reads.");
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    // StbImageSharp's message for a truncated or corrupt file is the bytes it stopped at (a chunk name,
    // NULs in a truncated PNG); keep its sentences ("unknown image type") and say what a fragment means.
    private static string Printable(string message)
    {
        string printable = new string([.. message.Where(c => !char.IsControl(c))]).Trim();
        return printable.Contains(' ', StringComparison.Ordinal) ? printable : "corrupt or truncated";
    }

    /// <summary>Box-filter resize of an 8-bit grayscale image (the nearest pixel when enlarging).</summary>
    public static float[] Resize(byte[] source, int width, int height, int targetWidth, int targetHeight)
    {
        var target = new float[targetWidth * targetHeight];
        for (int ty = 0; ty < targetHeight; ty++)
        {
            int y0 = ty * height / targetHeight;
            int y1 = Math.Max(y0 + 1, (ty + 1) * height / targetHeight);
            for (int tx = 0; tx < targetWidth; tx++)
            {
                int x0 = tx * width / targetWidth;
                int x1 = Math.Max(x0 + 1, (tx + 1) * width / targetWidth);
                long sum = 0;
                for (int y = y0; y < y1; y++)
                {
                    for (int x = x0; x < x1; x++)
                    {
                        sum += source[y * width + x];
                    }
                }
                target[ty * targetWidth + tx] = (float)sum / ((y1 - y0) * (x1 - x0));
            }
        }
        return target;
    }

    private static float BorderMean(float[] pixels, int width, int height)
    {
        double sum = 0;
        int count = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (y == 0 || x == 0 || y == height - 1 || x == width - 1)
                {
                    sum += pixels[y * width + x];
                    count++;
                }
            }
        }
        return (float)(sum / count);
    }
}
