using System.Text.Json;
using Nabla.NN;
using Nabla.Tests.NN;
using Nabla.Vision.Style;

namespace Nabla.Tests.Vision;

/// <summary>
/// Neural style transfer (d2l 14.12): the three losses against the course's code run by PyTorch
/// (tests/fixtures/make_style_fixtures.py, style.json), their float64 gradients, the feature extractor, and a whole
/// transfer on a small fixed network.
/// </summary>
public class StyleTransferTests
{
    static readonly JsonElement Fixtures = Fixture.Load("style.json");

    static Tensor Load(string name) => Fixture.Tensor(Fixtures.GetProperty(name));

    [Fact]
    public void Gram_content_and_style_losses_match_d2l_and_pytorch_with_gradients()
    {
        var features = Load("features").RequiresGrad_();
        Fixture.AssertClose(Load("gram"), StyleLosses.Gram(features), "gram", 1e-12, 1e-12);

        var content = StyleLosses.Content(features, Load("target"));
        Assert.Equal(Fixtures.GetProperty("content").GetDouble(), content.Item(), 12);
        content.Backward();
        Fixture.AssertClose(Load("content_grad"), features.Grad, "content grad", 1e-12, 1e-12);

        features.Grad = null;
        var targetGram = StyleLosses.Gram(Load("style_features"));
        Fixture.AssertClose(Load("target_gram"), targetGram, "target gram", 1e-12, 1e-12);
        var style = StyleLosses.Style(features, targetGram);
        Assert.Equal(Fixtures.GetProperty("style").GetDouble(), style.Item(), 12);
        style.Backward();
        Fixture.AssertClose(Load("style_grad"), features.Grad, "style grad", 1e-10, 1e-12);
    }

    [Fact]
    public void Total_variation_matches_d2l_and_pytorch_with_gradient()
    {
        var image = Load("image").RequiresGrad_();
        var tv = StyleLosses.TotalVariation(image);
        Assert.Equal(Fixtures.GetProperty("tv").GetDouble(), tv.Item(), 12);
        tv.Backward();
        Fixture.AssertClose(Load("tv_grad"), image.Grad, "tv grad", 1e-12, 1e-12);
    }

    [Fact]
    public void Losses_pass_the_float64_gradient_check()
    {
        var generator = new Generator(3);
        Tensor Randn(params int[] shape) => Tensor.Randn(shape, DType.Float64, generator, requiresGrad: true);
        var target = Tensor.Randn([1, 2, 3, 4], DType.Float64, generator);
        var targetGram = StyleLosses.Gram(Tensor.Randn([1, 2, 3, 4], DType.Float64, generator));
        Assert.True(Autograd.GradCheck(t => StyleLosses.Gram(t[0]), [Randn(1, 2, 3, 4)]));
        Assert.True(Autograd.GradCheck(t => StyleLosses.Content(t[0], target), [Randn(1, 2, 3, 4)]));
        Assert.True(Autograd.GradCheck(t => StyleLosses.Style(t[0], targetGram), [Randn(1, 2, 3, 4)]));
        Assert.True(Autograd.GradCheck(t => StyleLosses.TotalVariation(t[0]), [Randn(2, 2, 3, 4)]));
    }

    [Fact]
    public void Losses_refuse_wrong_shapes_naming_them()
    {
        var error = Assert.Throws<ShapeException>(() => StyleLosses.Gram(Tensor.Zeros([2, 3, 4, 4])));
        Assert.Contains("[2, 3, 4, 4]", error.Message);
        Assert.Throws<ShapeException>(() => StyleLosses.Content(Tensor.Zeros([1, 3, 4, 4]), Tensor.Zeros([1, 3, 4, 5])));
        Assert.Throws<ShapeException>(() => StyleLosses.Style(Tensor.Zeros([1, 3, 4, 4]), Tensor.Zeros([2, 2])));
        Assert.Throws<ShapeException>(() => StyleLosses.TotalVariation(Tensor.Zeros([1, 3, 1, 4])));
    }

    [Fact]
    public void Layer_features_returns_the_named_layers_outputs_and_names_an_unknown_layer()
    {
        var network = SmallNetwork();
        var input = Tensor.Randn([1, 3, 8, 8], generator: new Generator(1));
        var features = new LayerFeatures(network, ["3", "0"]).Extract(input);

        Tensor expected0, expected3;
        using (Autograd.NoGrad())
        {
            expected0 = network[0].Call(input);
            expected3 = network[3].Call(network[2].Call(network[1].Call(expected0)));
        }
        Fixture.AssertClose(expected3, features[0], "layer 3", 1e-6, 1e-6);
        Fixture.AssertClose(expected0, features[1], "layer 0", 1e-6, 1e-6);
        Assert.False(network.Training);
        Assert.All(network.Parameters(), p => Assert.False(p.RequiresGrad));
        var error = Assert.Throws<ArgumentException>(() => new LayerFeatures(SmallNetwork(), ["conv9"]));
        Assert.Contains("'conv9'", error.Message);
    }

    [Fact]
    public void Transfer_from_noise_lowers_all_three_losses()
    {
        var transfer = new StyleTransfer(SmallNetwork(), contentLayers: ["4"], styleLayers: ["1", "3", "5"]);
        var (content, style) = Images(24);
        var noise = Tensor.Randn([1, 3, 24, 24], generator: new Generator(5));
        var steps = new List<StyleStep>();
        // d2l's style weight 10⁴ suits VGG's features; on this network's 10⁻² Gram entries it drowns the content loss.
        var options = new StyleTransferOptions { Steps = 60, StyleWeight = 500, LearningRate = 0.05, LearningRateDecaySteps = 20 };

        var result = transfer.Run(content, style, options, steps.Add, initial: noise);

        Assert.Equal(60, steps.Count);
        Assert.Equal([1, 3, 24, 24], result.Shape.ToArray());
        Assert.Equal(0.05 * Math.Pow(0.8, 2), steps[^1].LearningRate, 12);
        Assert.True(steps[^1].Content < 0.5 * steps[0].Content, $"content {steps[0].Content} → {steps[^1].Content}");
        Assert.True(steps[^1].Style < 0.5 * steps[0].Style, $"style {steps[0].Style} → {steps[^1].Style}");
        Assert.True(steps[^1].TotalVariation < 0.5 * steps[0].TotalVariation, $"TV {steps[0].TotalVariation} → {steps[^1].TotalVariation}");
    }

    [Fact]
    public void Transfer_from_the_content_moves_the_gram_matrices_to_the_style()
    {
        var transfer = new StyleTransfer(SmallNetwork(), contentLayers: ["4"], styleLayers: ["1", "3", "5"]);
        var (content, style) = Images(24);
        var steps = new List<StyleStep>();
        var options = new StyleTransferOptions { Steps = 60, LearningRate = 0.05, LearningRateDecaySteps = 20 };

        var result = transfer.Run(content, style, options, steps.Add);

        // d2l starts from the content image: the content loss starts at 0 and rises as the style comes in.
        Assert.Equal(0, steps[0].Content, 12);
        Assert.True(steps[^1].Total < 0.7 * steps[0].Total, $"total {steps[0].Total} → {steps[^1].Total}");
        Assert.True(steps[^1].Style < 0.5 * steps[0].Style, $"style {steps[0].Style} → {steps[^1].Style}");
        var styleGrams = transfer.StyleGrams(style);
        var contentGrams = transfer.StyleGrams(content);
        var resultGrams = transfer.StyleGrams(result);
        for (int layer = 0; layer < styleGrams.Count; layer++)
        {
            double fromResult = Distance(resultGrams[layer], styleGrams[layer]), fromContent = Distance(contentGrams[layer], styleGrams[layer]);
            Assert.True(fromResult < 0.75 * fromContent, $"style layer {transfer.StyleLayers[layer]}: result {fromResult}, content {fromContent}");
        }
    }

    [Fact]
    public void Transfer_refuses_a_batch_and_bad_options()
    {
        var transfer = new StyleTransfer(SmallNetwork(), ["4"], ["1"]);
        var image = Tensor.Zeros([1, 3, 8, 8]);
        Assert.Throws<ShapeException>(() => transfer.Run(Tensor.Zeros([2, 3, 8, 8]), image));
        Assert.Throws<ArgumentException>(() => transfer.Run(image, image, new StyleTransferOptions { Steps = 0 }));
        Assert.Throws<ShapeException>(() => transfer.Run(image, image, initial: Tensor.Zeros([1, 3, 8, 9])));
        Assert.Throws<ArgumentException>(() => new StyleTransfer(SmallNetwork(), [], ["1"]));
    }

    static double Distance(Tensor a, Tensor b) => (a - b).Square().Sum().Item();

    // Three 3×3 convolutions with ReLU (the middle one strided), weights drawn from a fixed seed.
    static Sequential SmallNetwork()
    {
        var network = new Sequential(
            new Conv2d(3, 8, 3, padding: 1), new ReLU(),
            new Conv2d(8, 16, 3, stride: 2, padding: 1), new ReLU(),
            new Conv2d(16, 16, 3, padding: 1), new ReLU());
        var generator = new Generator(14);
        using (Autograd.NoGrad())
        {
            foreach (var p in network.Parameters()) p.Normal_(0, p.Rank > 1 ? Math.Sqrt(2.0 / (p.Shape[1] * 9)) : 0.05, generator);
        }
        return network;
    }

    // Content: smooth colour ramps. Style: diagonal stripes with noise, a texture the content has none of.
    static (Tensor Content, Tensor Style) Images(int size)
    {
        var content = new float[3 * size * size];
        var style = new float[3 * size * size];
        var noise = new Random(7);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    int i = (c * size + y) * size + x;
                    content[i] = (c == 0 ? x : c == 1 ? y : x + y) / (float)size - 0.5f;
                    style[i] = ((x + y + 2 * c) / 3 % 2 == 0 ? 0.5f : -0.5f) + 0.3f * (float)(noise.NextDouble() - 0.5);
                }
        return (Tensor.From(content, 1, 3, size, size), Tensor.From(style, 1, 3, size, size));
    }
}
