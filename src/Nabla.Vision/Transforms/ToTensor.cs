namespace Nabla.Vision.Transforms;

/// <summary>
/// Bytes to a float image in [0, 1] (<c>transforms.ToTensor</c>): a UInt8 tensor [H, W] or
/// [H, W, C] (the layout of image files and IDX data) becomes a Float32 [C, H, W] tensor divided by 255.
/// A float [C, H, W] tensor passes through unchanged.
/// </summary>
public sealed class ToTensor : Transform
{
    /// <inheritdoc/>
    public override Tensor Call(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.DType is DType.Float32 or DType.Float64)
        {
            CheckImage(image, "ToTensor");
            return image;
        }
        if (image.DType != DType.UInt8)
            throw new DTypeException($"ToTensor: expects UInt8 bytes or a float image, got {image.DType}.");
        var hwc = image.Rank switch
        {
            2 => image.Unsqueeze(2),
            3 => image,
            _ => throw new ShapeException($"ToTensor: expects bytes of shape [H, W] or [H, W, C], got {image.Shape}."),
        };
        return hwc.Permute(2, 0, 1).To(DType.Float32).Contiguous() / 255.0;
    }

    /// <summary>Row-major bytes of an image (<c>height·width·channels</c>, channels last) as a [C, H, W] float image in [0, 1].</summary>
    public static Tensor FromBytes(byte[] pixels, int height, int width, int channels = 1)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != height * width * channels)
            throw new ArgumentException($"ToTensor: {pixels.Length} bytes do not fill a {height}×{width}×{channels} image.", nameof(pixels));
        return new ToTensor().Call(Tensor.From(pixels, height, width, channels));
    }
}
