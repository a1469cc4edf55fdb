using System.Text.Json;
using Nabla.Cli;
using Nabla.Serialization;
using Nabla.Tests.TestSupport;
using Nabla.Training;
using Nabla.Vision;
using StbImageSharp;

namespace Nabla.Tests.Cli;

// nabla train --classes / --finetune / --freeze-until / --lr-backbone / --aux, and nabla predict --grid.
[Collection(DefaultGeneratorCollection.Name)]
public sealed class FineTuneCliTests() : CliTestBase("nabla-finetune")
{
    private static readonly string[] Small = ["--data", "sample", "--limit", "200", "--width", "0.125", "--resize", "32", "--epochs", "1"];

    private string Pretrain(string model = "resnet18", params string[] extra)
    {
        string pretrained = Path.Combine(directory, "pretrained-" + model);
        string[] size = model switch
        {
            "lenet" or "mlp" => ["--data", "sample", "--limit", "200", "--epochs", "1"],
            "alexnet" or "nin" => [.. Small[..^4], "--resize", "67", "--epochs", "1"],
            _ => Small,
        };
        var (exitCode, _, stderr) = Run(["train", model, .. size, "--classes", "0-4", "--checkpoint", pretrained, .. extra]);
        Assert.True(exitCode == 0, stderr);
        return pretrained;
    }

    [Fact]
    public void Finetune_keeps_the_frozen_layers_trains_the_rest_and_gives_a_new_head_for_the_new_classes()
    {
        string pretrained = Pretrain();
        string tuned = Path.Combine(directory, "tuned");

        var (exitCode, stdout, stderr) = Run(["train", "resnet18", "--data", "sample", "--limit", "200", "--epochs", "1", "--classes", "5,6,7,8,9",
            "--finetune", pretrained, "--freeze-until", "layer3", "--lr-backbone", "0.01", "--checkpoint", tuned, "--json"]);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("classes 5,6,7,8,9 (sandal, shirt, sneaker, bag, ankle boot)", stderr);
        Assert.Contains($"fine-tuned from {pretrained} (new head: fc; frozen up to layer3; backbone lr 0.01)", stderr);
        // The width and image size come from the pretrained run.
        Assert.Contains("images resized to 32×32, width 0.125", stderr);
        Assert.True(JsonDocument.Parse(stdout).RootElement.GetProperty("epochs").GetInt32() == 1);

        CheckpointData before = Checkpoint.Load(CheckpointStore.PathIn(pretrained)), after = Checkpoint.Load(CheckpointStore.PathIn(tuned));
        var parameters = Nabla.Vision.Models.ResNet.ResNet18(numClasses: 5, width: 0.125).NamedParameters().Select(p => p.Name).ToList();
        foreach (string name in parameters.Where(n => !n.StartsWith("fc.", StringComparison.Ordinal)))
        {
            bool frozen = FineTuning.IsUnder(name, ["conv1", "bn1", "layer1", "layer2", "layer3"]);
            Assert.True(after.Model[name].Equal(before.Model[name]) == frozen, $"{name}: frozen {frozen}");
        }
        Assert.Equal([5, 64], after.Model["fc.weight"].Shape.ToArray());
        Assert.Equal("0.01", after.Metadata["lr_backbone"]);
        Assert.Equal("5,6,7,8,9", after.Metadata["classes"]);

        // eval and predict read the classes from the checkpoint.
        var evaluated = Run("eval", "resnet18", "--checkpoint", tuned, "--data", "sample", "--json");
        Assert.True(evaluated.ExitCode == 0, evaluated.Stderr);
        int images = FashionMnist.LoadSample(train: false).LabelCounts()[5..].Sum();
        Assert.Equal(images, JsonDocument.Parse(evaluated.Stdout).RootElement.GetProperty("images").GetInt32());
    }

    [Fact]
    public void Finetune_resumes_with_its_groups_and_frozen_layers_as_if_never_stopped()
    {
        string pretrained = Pretrain();
        string[] args = ["train", "resnet18", "--data", "sample", "--limit", "200", "--epochs", "2", "--batch-size", "20", "--classes", "5-9",
            "--finetune", pretrained, "--freeze-until", "layer2", "--lr-backbone", "0.01"];
        string whole = Path.Combine(directory, "whole"), stopped = Path.Combine(directory, "stopped");
        var straight = Run([.. args, "--checkpoint", whole]);
        var interrupted = Run([.. args, "--checkpoint", stopped, "--stop-after-batches", "3"]);
        var resumed = Run("train", "resnet18", "--epochs", "2", "--checkpoint", stopped, "--resume");

        Assert.True(straight.ExitCode == 0, straight.Stderr);
        Assert.Equal(TrainRun.InterruptedExitCode, interrupted.ExitCode);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        var a = Checkpoint.Load(CheckpointStore.PathIn(whole)).Model;
        var b = Checkpoint.Load(CheckpointStore.PathIn(stopped)).Model;
        Assert.All(a.Keys, key => Assert.True(a[key].Equal(b[key]), key));
    }

    [Fact]
    public void Freeze_until_an_unknown_module_or_the_head_is_an_error_that_lists_the_valid_names()
    {
        string pretrained = Pretrain();

        var unknown = Run(["train", "resnet18", .. Small[..4], "--classes", "5-9", "--finetune", pretrained, "--freeze-until", "layer9", "--checkpoint", directory]);
        var head = Run(["train", "resnet18", .. Small[..4], "--classes", "5-9", "--finetune", pretrained, "--freeze-until", "fc", "--checkpoint", directory]);
        var alone = Run(["train", "resnet18", .. Small, "--freeze-until", "layer1", "--checkpoint", directory]);
        var otherModel = Run(["train", "densenet", .. Small[..4], "--finetune", pretrained, "--checkpoint", directory]);
        var otherWidth = Run(["train", "resnet18", .. Small[..4], "--width", "0.25", "--finetune", pretrained, "--checkpoint", directory]);

        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("--freeze-until layer9: ResNet has no top-level module named 'layer9'. Valid names: conv1, bn1, relu, maxpool, layer1, layer2, layer3, layer4, avgpool, fc.", unknown.Stderr);
        Assert.Equal(1, head.ExitCode);
        Assert.Contains("--freeze-until fc: that would freeze the new head (fc); choose a module before it: conv1, bn1, relu, maxpool, layer1, layer2, layer3, layer4, avgpool.", head.Stderr);
        Assert.Equal(1, alone.ExitCode);
        Assert.Contains("--freeze-until and --lr-backbone apply to fine-tuning", alone.Stderr);
        var nestedUnknown = Run(["train", "resnet18", .. Small[..4], "--classes", "5-9", "--finetune", pretrained, "--freeze-until", "layer2.5", "--checkpoint", directory]);
        Assert.Equal(1, nestedUnknown.ExitCode);
        Assert.Contains("--freeze-until layer2.5: layer2 (Sequential) has no module named '5'. Valid names there: 0, 1.", nestedUnknown.Stderr);
        Assert.Equal(1, otherModel.ExitCode);
        Assert.Contains("holds a 'resnet18' model, not 'densenet'", otherModel.Stderr);
        Assert.Equal(1, otherWidth.ExitCode);
        Assert.Contains("was trained at width 0.125", otherWidth.Stderr);
    }

    // Every zoo model, and a Sequential one, fine-tunes with its first top-level module frozen.
    [Theory]
    [InlineData("lenet", "0")]
    [InlineData("alexnet", "features")]
    [InlineData("vgg11", "features")]
    [InlineData("googlenet", "conv1")]
    [InlineData("densenet", "features.denseblock2")]
    [InlineData("nin", "net.4")]
    public void Every_model_fine_tunes_on_other_classes_with_a_frozen_first_module(string model, string first)
    {
        string pretrained = Pretrain(model);

        var (exitCode, _, stderr) = Run(["train", model, "--data", "sample", "--limit", "200", "--epochs", "1", "--classes", "7,8,9",
            "--finetune", pretrained, "--freeze-until", first, "--json", "--checkpoint", Path.Combine(directory, "tuned-" + model)]);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains($"frozen up to {first}", stderr);
    }

    // The head each model declares is exactly the part whose shapes depend on the number of classes.
    [Fact]
    public void Every_catalog_head_is_the_part_that_depends_on_the_number_of_classes()
    {
        foreach (ModelSpec spec in ModelCatalog.All)
        {
            foreach (bool aux in spec.HasAuxLogits ? new[] { false, true } : [false])
            {
                var ten = spec.Build(0.0625, 10, aux).StateDict();
                var three = spec.Build(0.0625, 3, aux).StateDict();
                Assert.Equal(ten.Keys, three.Keys);
                var depends = ten.Keys.Where(k => !ten[k].Shape.Equals(three[k].Shape)).ToHashSet();
                var head = ten.Keys.Where(k => FineTuning.IsUnder(k, spec.Head)).ToHashSet();
                var auxHeads = ten.Keys.Where(k => FineTuning.IsUnder(k, spec.HeadModules(aux))).ToHashSet();
                Assert.True(head.Count > 0, spec.Name);
                Assert.True(head.IsSubsetOf(depends), $"{spec.Name}: head {string.Join(", ", head)} vs {string.Join(", ", depends)}");
                Assert.True(depends.IsSubsetOf(auxHeads), $"{spec.Name} (aux {aux}): {string.Join(", ", depends.Except(auxHeads))} depend on the classes outside the head");
            }
        }
    }

    [Fact]
    public void Aux_trains_googlenet_with_its_auxiliary_classifiers_and_is_refused_for_other_models()
    {
        string run = Path.Combine(directory, "aux");
        var (exitCode, _, stderr) = Run(["train", "googlenet", .. Small, "--aux", "--json", "--checkpoint", run]);
        var resnet = Run(["train", "resnet18", .. Small, "--aux", "--checkpoint", directory]);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("auxiliary classifiers (loss + 0.3 × each)", stderr);
        CheckpointData saved = Checkpoint.Load(CheckpointStore.PathIn(run));
        Assert.Contains("aux1.fc2.weight", saved.Model.Keys);
        Assert.Equal("true", saved.Metadata["aux"]);
        var evaluated = Run("eval", "googlenet", "--checkpoint", run, "--data", "sample", "--limit", "200");
        Assert.True(evaluated.ExitCode == 0, evaluated.Stderr);
        Assert.Equal(1, resnet.ExitCode);
        Assert.Contains("--aux: resnet18 has no auxiliary classifiers; googlenet has.", resnet.Stderr);
    }

    [Fact]
    public void Predict_grid_writes_a_png_of_the_requested_images_with_wrong_ones_framed_in_red()
    {
        string run = Path.Combine(directory, "mlp");
        Assert.Equal(0, Run("train", "mlp", "--data", "sample", "--limit", "300", "--epochs", "1", "--checkpoint", run).ExitCode);
        string png = Path.Combine(directory, "grid.png");

        var (exitCode, stdout, stderr) = Run("predict", "mlp", "--checkpoint", run, "--grid", png, "--count", "10", "--data", "sample");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains($"of 10 test images right", stdout);
        ImageResult image = ImageResult.FromMemory(File.ReadAllBytes(png), ColorComponents.RedGreenBlue);
        // 10 images in rows of 8: two rows of 92 × 120-pixel cells.
        Assert.Equal((8 * 92, 2 * 120), (image.Width, image.Height));
        var neither = Run("predict", "mlp", "--checkpoint", run);
        Assert.Equal(1, neither.ExitCode);
        Assert.Contains("give either --image FILE or --grid OUT.png", neither.Stderr);
    }

    [Fact]
    public void Grid_png_frames_the_wrong_predictions_and_draws_the_images_where_the_layout_says()
    {
        // Image 0 white and right, image 1 black and wrong.
        var images = Tensor.Cat([Tensor.Ones(1, 1, 28, 28), Tensor.Zeros(1, 1, 28, 28)]);
        ImageGrid grid = ImageGrid.Create(images, [2, 1], [2, 0], ["a", "b", "c"]);
        string png = Path.Combine(directory, "two.png");

        ImageGridPng.Save(grid, png);

        ImageResult image = ImageResult.FromMemory(File.ReadAllBytes(png), ColorComponents.RedGreenBlue);
        Assert.Equal((grid.Width, grid.Height), (image.Width, image.Height));
        (byte R, byte G, byte B) Pixel(int x, int y) => (image.Data[(y * image.Width + x) * 3], image.Data[(y * image.Width + x) * 3 + 1], image.Data[(y * image.Width + x) * 3 + 2]);
        ImageGrid.Cell right = grid.Cells[0], wrong = grid.Cells[1];
        Assert.Equal(((byte)255, (byte)255, (byte)255), Pixel(right.ImageX + 40, right.ImageY + 40));
        Assert.Equal(((byte)0, (byte)0, (byte)0), Pixel(wrong.ImageX + 40, wrong.ImageY + 40));
        // The frame: one pixel left of the image, halfway down; red at the wrong cell, background at the right one.
        Assert.Equal((ImageGridPng.WrongColor.Red, ImageGridPng.WrongColor.Green, ImageGridPng.WrongColor.Blue), Pixel(wrong.ImageX - 1, wrong.ImageY + 40));
        Assert.Equal(((byte)255, (byte)255, (byte)255), Pixel(right.ImageX - 1, right.ImageY + 40));
    }
}
