using Nabla.NN;
using Nabla.Vision;

namespace Nabla.Tests.Pretrained;

/// <summary>Test images for the pre-trained ResNet-18: Fashion-MNIST sample images (grey → 3 channels, 224 px) and a colour gradient.</summary>
static class PretrainedImages
{
    /// <summary>[count + 1, 3, 224, 224] in [0, 1]: the first <paramref name="count"/> sample test images, then a colour image.</summary>
    public static Tensor Batch(int count)
    {
        var data = FashionMnist.LoadSample(train: false);
        var pixels = new float[count * 28 * 28];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = data.Images[i] / 255f;
        var grey = Functional.Interpolate(Tensor.From(pixels, count, 1, 28, 28), size: new Pair2d(224, 224), mode: "bilinear", alignCorners: false);
        var colour = new float[3 * 224 * 224];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 224; y++)
                for (int x = 0; x < 224; x++)
                    colour[(c * 224 + y) * 224 + x] = (float)(0.5 + 0.5 * Math.Sin(0.05 * (c + 1) * x + 0.031 * (3 - c) * y));
        return Tensor.Cat([grey.Repeat(1, 3, 1, 1), Tensor.From(colour, 1, 3, 224, 224)], 0);
    }
}
