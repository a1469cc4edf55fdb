using System.Text.Json;
using Nabla.Cli;
using Nabla.Serialization;
using Nabla.Tests.TestSupport;

namespace Nabla.Tests.Cli;

// nabla train resnet18 --pretrained imagenet, nabla embed --model minilm.
[Collection(DefaultGeneratorCollection.Name)]
public sealed class PretrainedCliTests() : CliTestBase("nabla-pretrained")
{
    [Fact]
    public void Train_resnet18_pretrained_imagenet_starts_from_the_package_weights_with_a_new_head_and_a_slower_backbone()
    {
        string tuned = Path.Combine(directory, "tuned");
        var (exitCode, stdout, stderr) = Run(["train", "resnet18", "--pretrained", "imagenet", "--data", "sample", "--limit", "64", "--resize", "32",
            "--epochs", "1", "--batch-size", "32", "--classes", "0-4", "--freeze-until", "layer2", "--checkpoint", tuned, "--json"]);
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("fine-tuned from imagenet (published weights) (new head: fc; frozen up to layer2; backbone lr 0.005)", stderr);
        Assert.Equal(1, JsonDocument.Parse(stdout).RootElement.GetProperty("epochs").GetInt32());

        var imagenet = Nabla.Vision.Models.Pretrained.ResNet18(numClasses: 5).StateDict();
        CheckpointData after = Checkpoint.Load(CheckpointStore.PathIn(tuned));
        Assert.Equal([5, 512], after.Model["fc.weight"].Shape.ToArray());
        Assert.True(after.Model["layer1.0.conv1.weight"].Equal(imagenet["layer1.0.conv1.weight"]), "frozen layers keep the ImageNet weights");
        Assert.False(after.Model["layer3.0.conv1.weight"].Equal(imagenet["layer3.0.conv1.weight"]), "unfrozen layers train");
        Assert.Equal("0.005", after.Metadata["lr_backbone"]);

        var evaluated = Run("eval", ModelCatalog.PretrainedResNet18, "--checkpoint", tuned, "--data", "sample", "--limit", "64", "--json");
        Assert.True(evaluated.ExitCode == 0, evaluated.Stderr);
    }

    [Fact]
    public void Pretrained_weights_that_do_not_exist_are_one_clear_error()
    {
        var (exitCode, _, stderr) = Run("train", "lenet", "--pretrained", "imagenet", "--data", "sample", "--limit", "10");
        Assert.Equal(1, exitCode);
        Assert.Contains("--pretrained imagenet: no pre-trained weights of that name for lenet", stderr);
        (exitCode, _, stderr) = Run("train", "resnet18", "--pretrained", "imagenet", "--finetune", directory, "--data", "sample");
        Assert.Equal(1, exitCode);
        Assert.Contains("--pretrained and --finetune", stderr);
    }

    [Fact]
    public void Embed_model_minilm_prints_unit_embeddings_and_their_cosine_similarities()
    {
        var (exitCode, stdout, stderr) = Run("embed", "--model", "minilm", "A man is eating food.", "Someone is having a meal.", "The fox jumps over the dog.", "--json");
        Assert.True(exitCode == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        var cosine = root.GetProperty("cosine_similarity").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        Assert.Equal(3, cosine.Length);
        for (int i = 0; i < 3; i++) Assert.Equal(1.0, cosine[i][i], 4);
        Assert.Equal(cosine[0][1], cosine[1][0], 6);
        Assert.True(cosine[0][1] > cosine[0][2] + 0.3, $"food/meal {cosine[0][1]} vs food/fox {cosine[0][2]}");
        Assert.Equal(384, root.GetProperty("embeddings")[0].GetArrayLength());

        var text = Run("embed", "--model", "minilm", "Hello world", "Hi there");
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains("cosine similarities:", text.Stdout);

        var neither = Run("embed", "Hello");
        Assert.Equal(1, neither.ExitCode);
        Assert.Contains("give either --checkpoint DIR or --model minilm", neither.Stderr);
        var unknown = Run("embed", "--model", "gpt", "Hello");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("unknown --model 'gpt'", unknown.Stderr);
    }
}
