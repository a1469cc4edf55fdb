using Nabla.Vision.Transforms;

namespace Nabla.Tests.Vision;

public class TransformTests
{
    // A 1×3×4 image 0, 1, …, 11 (row-major), as floats.
    static Tensor Ramp(int c = 1, int h = 3, int w = 4) =>
        Tensor.From(Enumerable.Range(0, c * h * w).Select(i => (float)i).ToArray(), c, h, w);

    static void AssertValues(float[] expected, Tensor actual, float tolerance = 1e-6f)
    {
        var a = actual.Contiguous().ToArray<float>();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(expected[i] - a[i]) <= tolerance, $"element {i}: {a[i]}, expected {expected[i]}");
    }

    [Fact]
    public void ToTensor_turns_HWC_bytes_into_CHW_floats_in_unit_range()
    {
        var bytes = Tensor.From(new byte[] { 0, 255, 51, 102, 153, 204 }, 1, 2, 3);
        var image = new ToTensor().Call(bytes);
        Assert.Equal([3, 1, 2], image.Shape.ToArray());
        Assert.Equal(DType.Float32, image.DType);
        AssertValues([0f, 0.4f, 1f, 0.6f, 0.2f, 0.8f], image);
        Assert.Equal([1, 2, 2], ToTensor.FromBytes([0, 255, 255, 0], 2, 2).Shape.ToArray());
    }

    [Fact]
    public void Normalize_standardises_each_channel()
    {
        var image = Tensor.From(new float[] { 1, 3, 10, 20 }, 2, 1, 2);
        var output = new Normalize([2, 10], [1, 5]).Call(image);
        AssertValues([-1f, 1f, 0f, 2f], output);
    }

    [Fact]
    public void Compose_applies_transforms_in_order_and_converts_to_a_func()
    {
        Func<Tensor, Tensor> pipeline = new Compose(new ToTensor(), new Normalize([0.5], [0.5]));
        var output = pipeline(Tensor.From(new byte[] { 0, 255 }, 1, 2));
        AssertValues([-1f, 1f], output);
    }

    [Fact]
    public void Resize_bilinear_matches_pytorch_and_keeps_aspect_ratio_for_one_size()
    {
        // F.interpolate(torch.tensor([[[[0., 1.], [2., 3.]]]]), size=(4, 4), mode="bilinear", align_corners=False)
        var image = Tensor.From(new float[] { 0, 1, 2, 3 }, 1, 2, 2);
        var output = new Resize(4, 4).Call(image);
        AssertValues([
            0f, 0.25f, 0.75f, 1f,
            0.5f, 0.75f, 1.25f, 1.5f,
            1.5f, 1.75f, 2.25f, 2.5f,
            2f, 2.25f, 2.75f, 3f], output);
        Assert.Equal([1, 28, 37], new Resize(28).Call(Ramp(1, 30, 40)).Shape.ToArray());
        Assert.Equal([3, 40, 30], new Resize(30).Call(Ramp(3, 40, 30)).Shape.ToArray());
    }

    [Fact]
    public void CenterCrop_takes_the_middle_and_pads_when_larger()
    {
        AssertValues([5f, 6f], new CenterCrop(1, 2).Call(Ramp()));
        // A 5×4 crop of a 3×4 image: one row of zeros above and below.
        AssertValues([0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0], new CenterCrop(5, 4).Call(Ramp()));
    }

    [Fact]
    public void RandomCrop_is_seeded_and_picks_a_window_of_the_padded_image()
    {
        var image = Ramp(1, 6, 6);
        var a = new RandomCrop(4, padding: 2, generator: new Generator(1)).Call(image);
        var b = new RandomCrop(4, padding: 2, generator: new Generator(1)).Call(image);
        Assert.Equal([1, 4, 4], a.Shape.ToArray());
        Assert.Equal(a.ToArray<float>(), b.ToArray<float>());
        // Every crop is a window of the zero-padded image: find it.
        var padded = new CenterCrop(10).Call(image).ToArray<float>();
        var generator = new Generator(2);
        var crop = new RandomCrop(4, padding: 2, generator: generator);
        for (int trial = 0; trial < 20; trial++)
        {
            var values = crop.Call(image).ToArray<float>();
            bool found = false;
            for (int top = 0; top <= 6 && !found; top++)
                for (int left = 0; left <= 6 && !found; left++)
                    found = Enumerable.Range(0, 16).All(i => padded[(top + i / 4) * 10 + left + i % 4] == values[i]);
            Assert.True(found, "crop is not a window of the padded image");
        }
        AssertValues(image.ToArray<float>(), new RandomCrop(6, generator: generator).Call(image));
    }

    [Fact]
    public void RandomResizedCrop_outputs_the_size_and_its_window_is_within_scale_and_ratio()
    {
        var transform = new RandomResizedCrop(8, scale: (0.25, 0.5), ratio: (0.5, 2.0), generator: new Generator(4));
        for (int i = 0; i < 50; i++)
        {
            var (top, left, h, w) = transform.GetParams(32, 32);
            Assert.InRange(top, 0, 32 - h);
            Assert.InRange(left, 0, 32 - w);
            Assert.InRange(h * w, 0.2 * 1024, 0.55 * 1024);
            Assert.InRange((double)w / h, 0.45, 2.2);
        }
        var output = transform.Call(Ramp(3, 32, 32));
        Assert.Equal([3, 8, 8], output.Shape.ToArray());
        var again = new RandomResizedCrop(8, scale: (0.25, 0.5), ratio: (0.5, 2.0), generator: new Generator(4));
        for (int i = 0; i < 50; i++) again.GetParams(32, 32);
        Assert.Equal(output.ToArray<float>(), again.Call(Ramp(3, 32, 32)).ToArray<float>());
        // The whole image at scale 1 and ratio 1 is the plain resize.
        var whole = new RandomResizedCrop(4, scale: (1, 1), ratio: (1, 1), generator: new Generator(0)).Call(Ramp(1, 8, 8));
        Assert.Equal(new Resize(4, 4).Call(Ramp(1, 8, 8)).ToArray<float>(), whole.ToArray<float>());
    }

    [Fact]
    public void Flips_mirror_with_probability_one_and_never_with_zero()
    {
        AssertValues([3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8], new RandomHorizontalFlip(1.0).Call(Ramp()));
        AssertValues([8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3], new RandomVerticalFlip(1.0).Call(Ramp()));
        AssertValues(Ramp().ToArray<float>(), new RandomHorizontalFlip(0.0).Call(Ramp()));
        var flip = new RandomHorizontalFlip(0.5, new Generator(9));
        int flipped = Enumerable.Range(0, 200).Count(_ => flip.Call(Ramp()).ToArray<float>()[0] == 3);
        Assert.InRange(flipped, 70, 130);
    }

    [Fact]
    public void RandomRotation_by_90_degrees_turns_the_image_counter_clockwise()
    {
        var image = Tensor.From(new float[] { 1, 2, 3, 4 }, 1, 2, 2);
        AssertValues([2, 4, 1, 3], new RandomRotation((90, 90)).Call(image));
        AssertValues([3, 1, 4, 2], RandomRotation.Rotate(image, -90));
        AssertValues([4, 3, 2, 1], RandomRotation.Rotate(image, 180));
        // torchvision: F.rotate(torch.arange(9.).view(1, 3, 3), 45, fill=-1).
        AssertValues([1, 2, 5, 0, 4, 8, 3, 6, 7], RandomRotation.Rotate(Ramp(1, 3, 3), 45, fill: -1));
        // torchvision: F.rotate(torch.arange(16.).view(1, 4, 4), 30, fill=-1); corners come from outside.
        AssertValues([-1, 2, 3, -1, 0, 5, 6, 11, 4, 9, 10, 15, -1, 12, 13, -1], RandomRotation.Rotate(Ramp(1, 4, 4), 30, fill: -1));
        var seeded = new RandomRotation(30, generator: new Generator(5)).Call(Ramp(1, 5, 5));
        Assert.Equal(seeded.ToArray<float>(), new RandomRotation(30, generator: new Generator(5)).Call(Ramp(1, 5, 5)).ToArray<float>());
    }

    [Fact]
    public void ColorJitter_adjustments_match_torchvision_formulas()
    {
        var gray = Tensor.From(new float[] { 0.2f, 0.4f, 0.6f, 0.8f }, 1, 2, 2);
        AssertValues([0.3f, 0.6f, 0.9f, 1f], ColorJitter.AdjustBrightness(gray, 1.5));
        // Contrast blends with the mean 0.5: 0.5·x + 0.25.
        AssertValues([0.35f, 0.45f, 0.55f, 0.65f], ColorJitter.AdjustContrast(gray, 0.5), 1e-6f);
        AssertValues(gray.ToArray<float>(), ColorJitter.AdjustSaturation(gray, 0.0));
        AssertValues(gray.ToArray<float>(), ColorJitter.AdjustHue(gray, 0.3));

        // One RGB pixel (r, g, b) = (1, 0, 0): a hue shift of 1/3 turn gives green, 2/3 blue.
        var red = Tensor.From(new float[] { 1, 0, 0 }, 3, 1, 1);
        AssertValues([0, 1, 0], ColorJitter.AdjustHue(red, 1.0 / 3), 1e-5f);
        AssertValues([0, 0, 1], ColorJitter.AdjustHue(red, -1.0 / 3), 1e-5f);
        // Saturation 0 gives the luma 0.2989 on every channel.
        AssertValues([0.2989f, 0.2989f, 0.2989f], ColorJitter.AdjustSaturation(red, 0.0), 1e-6f);
        // torchvision: F.adjust_hue(torch.tensor([0.8, 0.4, 0.2]).view(3, 1, 1), 0.1) = (0.8, 0.76, 0.2).
        AssertValues([0.8f, 0.76f, 0.2f], ColorJitter.AdjustHue(Tensor.From(new float[] { 0.8f, 0.4f, 0.2f }, 3, 1, 1), 0.1), 1e-5f);

        var jitter = new ColorJitter(0.4, 0.4, 0.4, 0.1, new Generator(6));
        var image = Tensor.Rand([3, 4, 4], generator: new Generator(7));
        var output = jitter.Call(image);
        Assert.Equal([3, 4, 4], output.Shape.ToArray());
        Assert.All(output.ToArray<float>(), v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(output.ToArray<float>(), new ColorJitter(0.4, 0.4, 0.4, 0.1, new Generator(6)).Call(image).ToArray<float>());
        Assert.NotEqual(image.ToArray<float>(), output.ToArray<float>());
    }

    [Fact]
    public void Rgb_adjustments_and_resize_match_torchvision()
    {
        // Values from torchvision 0.14: F.adjust_contrast(x, 0.7), F.adjust_saturation(x, 1.6),
        // F.adjust_hue(x, -0.2), F.resize(x, [3, 3], antialias=False) for this x.
        var x = Tensor.From(new float[] { 0.1f, 0.5f, 0.9f, 0.3f, 0.7f, 0.2f, 0.4f, 0.8f, 0.6f, 0.6f, 0.1f, 0.95f }, 3, 2, 2);
        AssertValues([0.2220415f, 0.5020415f, 0.7820415f, 0.3620415f, 0.6420415f, 0.2920415f, 0.4320415f, 0.7120415f, 0.5720415f, 0.5720415f, 0.2220415f, 0.8170415f],
            ColorJitter.AdjustContrast(x, 0.7), 1e-5f);
        AssertValues([0f, 0.59885f, 1f, 0.079458f, 0.814486f, 0.11885f, 0.330874f, 0.879458f, 0.654486f, 0.75885f, 0f, 1f],
            ColorJitter.AdjustSaturation(x, 1.6), 1e-5f);
        AssertValues([0.32f, 0.2f, 0.9f, 0.3f, 0.7f, 0.38f, 0.1f, 0.95f, 0.1f, 0.6f, 0.76f, 0.32f],
            ColorJitter.AdjustHue(x, -0.2), 1e-5f);
        AssertValues([
            0.1f, 0.3f, 0.5f, 0.5f, 0.45f, 0.4f, 0.9f, 0.6f, 0.3f,
            0.7f, 0.45f, 0.2f, 0.55f, 0.525f, 0.5f, 0.4f, 0.6f, 0.8f,
            0.6f, 0.6f, 0.6f, 0.35f, 0.5625f, 0.775f, 0.1f, 0.525f, 0.95f], new Resize(3, 3).Call(x), 1e-5f);
    }
}
