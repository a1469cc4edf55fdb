namespace Nabla.Vision.Gan;

/// <summary>
/// Fashion-MNIST as the GANs see it: each 28×28 image centred on a 32×32 background (2 pixels each side, the size of the
/// DCGAN's four doublings), pixels mapped from [0, 255] to [−1, 1] to match the generator's Tanh; and back.
/// </summary>
public static class GanImages
{
    /// <summary>Pixels of background added on each side of a 28×28 image.</summary>
    public const int Border = (Dcgan.ImageSize - 28) / 2;

    /// <summary>The images of <paramref name="data"/> as [N, 1, 32, 32] in [−1, 1] (background −1), and their labels as int64 [N].</summary>
    /// <exception cref="ArgumentException">The images are not 28×28.</exception>
    public static (Tensor Images, Tensor Labels) FromMnist(MnistData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Rows != 28 || data.Columns != 28)
            throw new ArgumentException($"GanImages.FromMnist: the images must be 28×28, got {data.Rows}×{data.Columns}.", nameof(data));
        const int side = Dcgan.ImageSize;
        var pixels = new float[(long)data.Count * side * side];
        Array.Fill(pixels, -1f);
        for (int i = 0; i < data.Count; i++)
        {
            for (int row = 0; row < 28; row++)
            {
                int source = (i * 28 + row) * 28, target = (i * side + row + Border) * side + Border;
                for (int column = 0; column < 28; column++) pixels[target + column] = data.Images[source + column] / 127.5f - 1f;
            }
        }
        var labels = new long[data.Count];
        for (int i = 0; i < labels.Length; i++) labels[i] = data.Labels[i];
        return (Tensor.From(pixels, data.Count, 1, side, side), Tensor.From(labels, data.Count));
    }

    /// <summary>GAN images [N, 1, 32, 32] in [−1, 1] → [N, 1, 32, 32] in [0, 1] (clamped), for pictures.</summary>
    public static Tensor ToUnit(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return ((images + 1) * 0.5).Clamp(0, 1);
    }

    /// <summary>
    /// GAN images [N, 1, 32, 32] in [−1, 1] → the classifier's input [N, 1, 28, 28] in [0, 1]: the central 28×28 (the inverse of
    /// <see cref="FromMnist"/>'s border).
    /// </summary>
    /// <exception cref="ShapeException">The images are not [N, 1, 32, 32].</exception>
    public static Tensor ToClassifierInput(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank != 4 || images.Size(1) != 1 || images.Size(2) != Dcgan.ImageSize || images.Size(3) != Dcgan.ImageSize)
            throw new ShapeException($"GanImages.ToClassifierInput: images must be [N, 1, 32, 32], got {images.Shape}.");
        return ToUnit(images.Narrow(2, Border, 28).Narrow(3, Border, 28));
    }
}
