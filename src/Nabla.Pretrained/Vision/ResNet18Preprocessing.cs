using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// The ImageNet preprocessing of <see cref="Pretrained.ResNet18(int)"/>, as the package's
/// <c>ResNetPreprocess.onnx</c> does it (CNTK's convention, not torchvision's): the RGB channels are
/// reordered to BGR and the per-pixel ImageNet mean image (<see cref="MeanImage"/>, BGR, ≈ 104/117/123
/// at the centre) is subtracted; pixel values stay in 0–255 and are not divided by a standard deviation.
/// Resize (and crop) to 224×224 first: the mean image is 224×224. <see cref="FromUnit"/> takes images
/// in [0, 1] as Nabla.Vision's data sets and transforms give them.
/// Shape: [N, 3, 224, 224] RGB 0–255 → [N, 3, 224, 224].
/// </summary>
public sealed class ResNet18Preprocessing : Module<Tensor, Tensor>
{
    /// <summary>The mean image [3, 224, 224], BGR, 0–255 (buffer <c>mean_image</c>).</summary>
    public Tensor MeanImage { get; }

    /// <summary>A preprocessing step with the given mean image (use <see cref="Pretrained.ResNet18Preprocessing"/> for the package's).</summary>
    /// <param name="meanImage">BGR mean image [3, 224, 224].</param>
    public ResNet18Preprocessing(Tensor meanImage)
    {
        ArgumentNullException.ThrowIfNull(meanImage);
        if (meanImage.Shape != new Shape(3, 224, 224))
            throw new ShapeException($"ResNet18Preprocessing: meanImage must be [3, 224, 224], got {meanImage.Shape}.");
        MeanImage = meanImage.To(DType.Float32);
        RegisterBuffer("mean_image", MeanImage);
    }

    /// <summary>BGR minus the mean image, of RGB images with values in 0–255.</summary>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || input.Size(1) != 3 || input.Size(2) != 224 || input.Size(3) != 224)
            throw new ShapeException($"ResNet18Preprocessing: input must be RGB images [N, 3, 224, 224] (resize first), got {input.Shape}.");
        return input.Flip(1) - MeanImage;
    }

    /// <summary><see cref="Forward"/> of images with values in [0, 1] (scaled by 255 first).</summary>
    public Tensor FromUnit(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Call(input * 255.0);
    }
}
