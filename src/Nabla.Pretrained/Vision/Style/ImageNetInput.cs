using Nabla.NN;

namespace Nabla.Vision.Style;

/// <summary>
/// Turns d2l's normalised RGB image, (x − mean) / std with torchvision's ImageNet statistics, into the input of the pretrained
/// ResNet-18 (CNTK's convention: BGR, 0–255, minus the channel means). A per-channel affine map and a flip of the channels, so
/// gradients reach the optimised image unchanged in kind.
/// Shape: [N, 3, H, W] → [N, 3, H, W].
/// </summary>
sealed class ImageNetInput : Module<Tensor, Tensor>
{
    readonly Tensor scale;
    readonly Tensor shift;

    /// <summary>The map for the BGR channel means <paramref name="bgrMean"/> (0–255).</summary>
    public ImageNetInput(IReadOnlyList<double> bgrMean)
    {
        // rgb255[c] = (x[c]·std[c] + mean[c])·255, then channel c goes to 2 − c and loses bgrMean[2 − c].
        var scales = new float[3];
        var shifts = new float[3];
        for (int c = 0; c < 3; c++)
        {
            scales[c] = (float)(ResNet18Style.Std[c] * 255);
            shifts[c] = (float)(ResNet18Style.Mean[c] * 255 - bgrMean[2 - c]);
        }
        scale = Tensor.From(scales, 1, 3, 1, 1);
        shift = Tensor.From(shifts, 1, 3, 1, 1);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => (input * scale + shift).Flip(1);
}
