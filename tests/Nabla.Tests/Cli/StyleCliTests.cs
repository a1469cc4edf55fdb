using Nabla.Cli;
using Nabla.Vision.Style;
using Nabla.Tests.TestSupport;
using StbImageSharp;

namespace Nabla.Tests.Cli;

// nabla style: a few steps on small images with the pretrained ResNet-18.
public sealed class StyleCliTests() : CliTestBase("nabla-style")
{
    [Fact]
    public void Style_writes_the_result_and_the_side_by_side_png_and_reports_the_losses()
    {
        string output = Path.Combine(directory, "styled.png");
        var (exitCode, stdout, stderr) = Run(["style", "--size", "32", "--steps", "3", "--out", output]);

        Assert.True(exitCode == 0, stderr);
        Assert.StartsWith("Style transfer (d2l 14.12) of dog in the style of scream, 43×32: ImageNet ResNet-18 features, content layer2, style relu, layer1, layer2, layer3", stdout);
        Assert.Contains("step    3/3  content ", stdout);
        Assert.Contains("Side by side: ", stdout);
        var result = ImageResult.FromMemory(File.ReadAllBytes(output), ColorComponents.RedGreenBlue);
        Assert.Equal((43, 32), (result.Width, result.Height));
        var side = ImageResult.FromMemory(File.ReadAllBytes(Path.Combine(directory, "styled-side.png")), ColorComponents.RedGreenBlue);
        Assert.True(side.Width > 3 * 43 && side.Height > 32, $"side by side {side.Width}×{side.Height}");
    }

    [Fact]
    public void Style_refuses_a_missing_image_and_a_non_png_output_in_one_line()
    {
        var missing = Run(["style", "--content", Path.Combine(directory, "nothing.jpg"), "--out", Path.Combine(directory, "x.png")]);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("--content", missing.Stderr);
        Assert.Contains("no such file", missing.Stderr);
        var jpeg = Run(["style", "--out", Path.Combine(directory, "x.jpg")]);
        Assert.Equal(1, jpeg.ExitCode);
        Assert.Contains(".png", jpeg.Stderr);
    }

    [Fact]
    public void Style_image_loads_the_embedded_images_at_the_asked_height()
    {
        var dog = StyleImage.Load("dog", "--content", 30);
        Assert.Equal([1, 3, 30, 40], dog.Shape.ToArray());
        Assert.InRange(dog.Min().Item(), 0, 1);
        Assert.InRange(dog.Max().Item(), 0, 1);
        Assert.Equal([1, 3, 30, 40], StyleImage.Load("scream", "--style", 30, 40).Shape.ToArray());
        Assert.Equal(163_759, StyleImages.Read("dog").Length);
    }
}
