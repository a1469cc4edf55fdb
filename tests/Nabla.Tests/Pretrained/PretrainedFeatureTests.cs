using Zoo = Nabla.Vision.Models.Pretrained;

namespace Nabla.Tests.Pretrained;

public class PretrainedFeatureTests
{
    [Fact]
    public void ResNet18Features_returns_the_named_stages_frozen_with_gradients_to_the_input()
    {
        var getter = Zoo.ResNet18Features("layer1", "layer3");
        Assert.Equal(["layer1", "layer3"], getter.ReturnLayers);
        Assert.All(getter.Parameters(), p => Assert.False(p.RequiresGrad));
        Assert.False(getter.Training);

        Generator.ManualSeed(0);
        var image = (Tensor.Rand([1, 3, 64, 64]) * 255.0 - 115.0).RequiresGrad_();
        var features = getter.Call(image);
        Assert.Equal(new Shape(1, 64, 16, 16), features["layer1"].Shape);
        Assert.Equal(new Shape(1, 256, 4, 4), features["layer3"].Shape);
        Assert.False(getter.NamedChildren().Any(c => c.Name == "layer4"), "layers after the last requested one are not kept");

        (features["layer1"].Square().Mean() + features["layer3"].Square().Mean()).Backward();
        Assert.NotNull(image.Grad);
        Assert.True(image.Grad!.Abs().Sum().Item() > 0);
    }

    [Fact]
    public void IntermediateLayerGetter_avgpool_equals_the_models_features()
    {
        var model = Zoo.ResNet18(numClasses: 10);
        var getter = new Nabla.Vision.Models.IntermediateLayerGetter(model, ["layer2", "avgpool"]);
        Generator.ManualSeed(1);
        var image = Tensor.Randn([2, 3, 64, 64]) * 50.0;
        using var noGrad = Autograd.NoGrad();
        var pooled = getter.Call(image)["avgpool"].Flatten(1).ToArray<float>();
        var expected = model.Features(image).ToArray<float>();
        Assert.Equal(expected, pooled);
        var error = Assert.Throws<ArgumentException>(() => Zoo.ResNet18Features("layer5"));
        Assert.Contains("layer5", error.Message);
    }
}
