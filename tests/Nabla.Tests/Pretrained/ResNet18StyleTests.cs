using Nabla.NN;
using Nabla.Tests.NN;
using Nabla.Vision.Models;
using Nabla.Vision.Style;

namespace Nabla.Tests.Pretrained;

/// <summary>ResNet18Style: d2l's normalisation, its map to the package's input convention, and the cut network's layers.</summary>
public class ResNet18StyleTests
{
    [Fact]
    public void Feature_network_maps_normalised_rgb_to_bgr_minus_the_mean_and_ends_at_layer3()
    {
        var network = ResNet18Style.FeatureNetwork();
        var rgb = Tensor.Rand([1, 3, 8, 8], generator: new Generator(2));
        double[] bgrMean = Nabla.Vision.Models.Pretrained.ResNet18Preprocessing().MeanImage.To(DType.Float64).Mean([1, 2]).ToArray<double>();
        var expected = rgb.Flip(1) * 255.0 - Tensor.From(bgrMean.Select(v => (float)v).ToArray(), 1, 3, 1, 1);

        Tensor input, features;
        using (Autograd.NoGrad())
        {
            input = network[0].Call(ResNet18Style.Normalize(rgb));
            features = network.Call(ResNet18Style.Normalize(rgb));
        }
        Fixture.AssertClose(expected, input, "input", 1e-5, 1e-3);
        Assert.Equal(["input", "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3"], network.NamedChildren().Select(c => c.Name));
        Assert.Equal([1, 256, 1, 1], features.Shape.ToArray());
        Assert.All(network.Parameters(), p => Assert.False(p.RequiresGrad));
        Fixture.AssertClose(rgb, ResNet18Style.Denormalize(ResNet18Style.Normalize(rgb)), "round trip", 1e-6, 1e-6);
        Assert.Throws<ShapeException>(() => ResNet18Style.Normalize(Tensor.Zeros([1, 1, 4, 4])));
    }
}
