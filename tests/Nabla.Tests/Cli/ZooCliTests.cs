using System.Text.Json;
using Nabla.Cli;
using Nabla.Data;
using Nabla.Tests.TestSupport;
using Nabla.Vision.Datasets;

namespace Nabla.Tests.Cli;

// The CNN zoo on the command line: summary, training at small width and size, augmentation.
[Collection(DefaultGeneratorCollection.Name)]
public sealed class ZooCliTests() : CliTestBase("nabla-zoo")
{
    // The smallest input each architecture accepts, for quick runs.
    public static TheoryData<string, int> ZooModels => new()
    {
        { "alexnet", 67 }, { "vgg11", 32 }, { "nin", 67 }, { "googlenet", 32 }, { "resnet18", 32 }, { "densenet", 32 },
    };

    [Fact]
    public void Summary_of_lenet_prints_its_61706_parameters()
    {
        var (exitCode, stdout, stderr) = Run("summary", "lenet");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("input [1, 1, 28, 28]", stdout);
        Assert.Contains("0 (Conv2d)      [1, 6, 28, 28]       156", stdout);
        Assert.Contains("Total params: 61,706", stdout);
        Assert.Contains("Total MACs: 416,520", stdout);
    }

    [Fact]
    public void Summary_of_alexnet_at_its_default_224_pixels_counts_the_courses_46_8_million_parameters()
    {
        var (exitCode, stdout, stderr) = Run("summary", "alexnet");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("input [1, 1, 224, 224], width 1", stdout);
        // d2l §8.1's AlexNet: the first max-pool leaves 96 × 26 × 26, the classifier sees 256 × 5 × 5.
        Assert.Contains("[1, 96, 26, 26]", stdout);
        Assert.Contains("Total params: 46,764,746", stdout);
    }

    [Theory]
    [MemberData(nameof(ZooModels))]
    public void Summary_of_every_zoo_model_ends_in_ten_classes(string model, int size)
    {
        var (exitCode, stdout, stderr) = Run("summary", model, "--width", "0.125", "--input-size", size.ToString());

        Assert.True(exitCode == 0, stderr);
        Assert.Contains($"input [1, 1, {size}, {size}], width 0.125", stdout);
        Assert.Contains("[1, 10]", stdout);
        Assert.Contains("Total params:", stdout);
    }

    [Fact]
    public void Summary_rejects_a_width_for_a_model_without_one_and_a_too_small_input()
    {
        var noWidth = Run("summary", "mlp", "--width", "0.5");
        var tooSmall = Run("summary", "alexnet", "--input-size", "32");

        Assert.Equal(1, noWidth.ExitCode);
        Assert.Contains("mlp has no width multiplier", noWidth.Stderr);
        Assert.Equal(1, tooSmall.ExitCode);
        Assert.Contains("alexnet needs images of at least 67×67", tooSmall.Stderr);
    }

    [Fact]
    public void Models_lists_the_zoo_with_the_courses_recipes()
    {
        var (exitCode, stdout, _) = Run("models");

        Assert.Equal(0, exitCode);
        Assert.Contains("alexnet", stdout);
        Assert.Contains("SGD lr 0.01, 224 px, width 1)", stdout);
        Assert.Contains("vgg11", stdout);
        Assert.Contains("SGD lr 0.05, 224 px, width 0.25)", stdout);
        Assert.Contains("nin", stdout);
        Assert.Contains("googlenet", stdout);
        Assert.Contains("resnet18", stdout);
        Assert.Contains("densenet", stdout);
        Assert.Contains("batch 128, SGD lr 0.1, 96 px, width 1)", stdout);
    }

    [Theory]
    [MemberData(nameof(ZooModels))]
    public void Every_zoo_model_trains_one_step_with_a_finite_loss(string model, int size)
    {
        var (exitCode, stdout, stderr) = Run("train", model, "--data", "sample", "--limit", "64", "--width", "0.125", "--resize", size.ToString(),
            "--epochs", "1", "--json", "--checkpoint", Path.Combine(directory, model));

        Assert.True(exitCode == 0, stderr);
        Assert.Contains($"images resized to {size}×{size}, width 0.125", stderr);
        Assert.Contains("multiply-accumulates per image", stderr);
        JsonElement result = JsonDocument.Parse(stdout).RootElement;
        double loss = result.GetProperty("train_loss").GetDouble();
        Assert.True(double.IsFinite(loss) && loss > 0, $"{model}: loss {loss}");
        Assert.Equal(1, result.GetProperty("epochs").GetInt32());
    }

    [Fact]
    public void Eval_and_predict_of_a_zoo_checkpoint_rebuild_its_width_and_resize_the_images()
    {
        var trained = Run("train", "resnet18", "--data", "sample", "--limit", "64", "--width", "0.125", "--resize", "32", "--epochs", "1",
            "--json", "--checkpoint", directory);
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        double trainedAccuracy = JsonDocument.Parse(trained.Stdout).RootElement.GetProperty("test_acc").GetDouble();

        var (exitCode, stdout, stderr) = Run("eval", "resnet18", "--checkpoint", directory, "--data", "sample", "--limit", "64", "--json");

        Assert.True(exitCode == 0, stderr);
        Assert.Equal(trainedAccuracy, JsonDocument.Parse(stdout).RootElement.GetProperty("test_acc").GetDouble());

        // predict resizes the 28×28 image to the 32 pixels the checkpoint was trained on.
        string png = Path.Combine(directory, "image.png");
        GrayPng.Write(png, Nabla.Vision.FashionMnist.LoadSample(train: false).Images.AsSpan(0, 28 * 28), 28, 28);
        var predicted = Run("predict", "resnet18", "--checkpoint", directory, "--image", png, "--top", "2");
        Assert.True(predicted.ExitCode == 0, predicted.Stderr);
        Assert.Equal(2, predicted.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Train_rejects_a_width_for_lenet_and_a_resize_below_the_architectures_minimum()
    {
        var noWidth = Run("train", "lenet", "--data", "sample", "--limit", "64", "--width", "0.5", "--checkpoint", directory);
        var tooSmall = Run("train", "nin", "--data", "sample", "--limit", "64", "--resize", "40", "--checkpoint", directory);

        Assert.Equal(1, noWidth.ExitCode);
        Assert.Contains("lenet has no width multiplier", noWidth.Stderr);
        Assert.Equal(1, tooSmall.ExitCode);
        Assert.Contains("nin needs images of at least 67×67", tooSmall.Stderr);
    }

    private static (Tensor Image, Tensor Label) FirstBatch()
    {
        var data = DataSource.Take(Nabla.Vision.FashionMnist.LoadSample(train: true), 16);
        var loader = new DataLoader<(Tensor Image, Tensor Label)>(new FashionMnistDataset(data), 16);
        return loader.First();
    }

    [Fact]
    public void Augment_changes_training_batches_reproducibly_and_leaves_test_batches_alone()
    {
        var (images, _) = FirstBatch();
        var plain = new BatchPreparation(32);
        float[] resized = plain.Apply(images).ToArray<float>();

        float[] augmented = new BatchPreparation(32, new Generator(1)).Apply(images).ToArray<float>();
        float[] again = new BatchPreparation(32, new Generator(1)).Apply(images).ToArray<float>();
        float[] otherSeed = new BatchPreparation(32, new Generator(2)).Apply(images).ToArray<float>();

        Assert.Equal([16, 1, 32, 32], plain.Apply(images).Shape.ToArray());
        Assert.Equal(resized.Length, augmented.Length);
        Assert.False(resized.AsSpan().SequenceEqual(augmented), "augmented training batch equals the plain one");
        Assert.True(augmented.AsSpan().SequenceEqual(again), "same seed, different augmentation");
        Assert.False(augmented.AsSpan().SequenceEqual(otherSeed), "different seeds, same augmentation");
        // Test batches (no generator) are only resized: the same every time.
        Assert.True(resized.AsSpan().SequenceEqual(plain.Apply(images).ToArray<float>()));
    }

    [Fact]
    public void Augmented_images_are_shifted_copies_of_the_resized_image_within_the_padding()
    {
        var (images, _) = FirstBatch();
        Tensor resized = new BatchPreparation(28).Apply(images);
        Tensor augmented = new BatchPreparation(28, new Generator(3)).Apply(images);

        // Each augmented image is the resized one, flipped or not, shifted by at most 4 pixels each way, zero-filled.
        float[] source = resized.ToArray<float>(), result = augmented.ToArray<float>();
        for (int n = 0; n < 16; n++)
        {
            bool found = false;
            for (int flip = 0; flip < 2 && !found; flip++)
            {
                for (int dy = -4; dy <= 4 && !found; dy++)
                {
                    for (int dx = -4; dx <= 4 && !found; dx++)
                    {
                        found = Matches(source, result, n, dy, dx, flip == 1);
                    }
                }
            }
            Assert.True(found, $"image {n} is not a shifted (flipped) copy within 4 pixels");
        }
    }

    private static bool Matches(float[] source, float[] result, int n, int dy, int dx, bool flip)
    {
        const int side = 28;
        for (int y = 0; y < side; y++)
        {
            for (int x = 0; x < side; x++)
            {
                // Crop then flip: output (y, x) is crop (y, side-1-x) when flipped.
                int cx = flip ? side - 1 - x : x;
                int sy = y + dy, sx = cx + dx;
                float expected = sy is >= 0 and < side && sx is >= 0 and < side ? source[n * side * side + sy * side + sx] : 0f;
                if (result[n * side * side + y * side + x] != expected)
                {
                    return false;
                }
            }
        }
        return true;
    }

    [Fact]
    public void Resuming_an_augmented_zoo_run_stopped_in_mid_epoch_equals_training_without_stopping()
    {
        string[] common = ["train", "resnet18", "--data", "sample", "--limit", "256", "--batch-size", "64", "--width", "0.125", "--resize", "32",
            "--augment", "--seed", "4", "--epochs", "1"];
        string continuous = Path.Combine(directory, "continuous");
        string resumed = Path.Combine(directory, "resumed");

        Assert.Equal(0, Run([.. common, "--checkpoint", continuous]).ExitCode);
        var stopped = Run([.. common, "--checkpoint", resumed, "--stop-after-batches", "2"]);
        Assert.Equal(TrainRun.InterruptedExitCode, stopped.ExitCode);
        Assert.Equal(0, Run(["train", "resnet18", "--data", "sample", "--limit", "256", "--epochs", "1", "--checkpoint", resumed, "--resume"]).ExitCode);

        CliTests.AssertSameRun(continuous, resumed);
        var (_, continuousState) = CheckpointStore.Read(continuous);
        var (_, resumedState) = CheckpointStore.Read(resumed);
        Assert.True(continuousState.Augment && resumedState.Augment);
        Assert.Equal(0.125, resumedState.Width);
        Assert.Equal(32, resumedState.InputSize);
    }
}
