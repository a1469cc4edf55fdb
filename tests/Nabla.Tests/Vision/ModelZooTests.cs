using System.Text.Json;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Serialization;
using Nabla.Tests.TestSupport;
using Nabla.Vision.Models;

namespace Nabla.Tests.Vision;

/// <summary>
/// The model zoo against PyTorch: the course's models at a small width load weights written by
/// tests/fixtures/make_zoo_fixtures.py and reproduce its eval-mode logits; the torchvision-style
/// constructors have torchvision 0.14's state-dict keys and shapes (tests/fixtures/zoo_torchvision_keys.json).
/// Models initialise from the default generator and the torchvision-size ones allocate ~1 GB, so
/// the class runs alone, outside the parallel phase (heap-measuring tests run there).
/// </summary>
[Collection(DefaultGeneratorCollection.Name)]
public class ModelZooTests
{
    static string FixturePath(string file) => Path.Combine(AppContext.BaseDirectory, "fixtures", file);

    /// <summary>The same models the fixture script builds, by file name (the compiled-model tests build them here too).</summary>
    internal static Module<Tensor, Tensor> CourseModel(string name) => name switch
    {
        "alexnet" => new AlexNet(width: 1.0 / 32),
        "vgg11" => VGG.VGG11(width: 1.0 / 64),
        "nin" => new NiN(width: 1.0 / 16),
        "googlenet" => new GoogLeNet(width: 1.0 / 16, auxLogits: true),
        "resnet18" => ResNet.ResNet18(width: 1.0 / 16),
        "resnet50" => ResNet.ResNet50(width: 1.0 / 32),
        "densenet" => new DenseNet(width: 1.0 / 4),
        "densenet_bc" => new DenseNet(blockConfig: [2, 2], bnSize: 4, width: 1.0 / 8),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("alexnet")]
    [InlineData("vgg11")]
    [InlineData("nin")]
    [InlineData("googlenet")]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("densenet")]
    [InlineData("densenet_bc")]
    public void Course_model_with_pytorch_weights_gives_pytorch_eval_logits(string name)
    {
        var tensors = StateDict.Load(FixturePath($"safetensors/zoo_{name}.safetensors"));
        var input = tensors["__input"];
        var expected = tensors["__logits"];
        tensors.Remove("__input");
        tensors.Remove("__logits");

        var model = CourseModel(name);
        Assert.Equal(tensors.Keys, model.StateDict().Keys);
        model.LoadStateDict(tensors);
        model.Eval();
        Tensor logits;
        using (Autograd.NoGrad()) logits = model.Call(input);

        Assert.Equal(expected.Shape, logits.Shape);
        var e = expected.ToArray<float>();
        var a = logits.ToArray<float>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4 + 1e-4 * Math.Abs(e[i]), $"{name}: logit {i} is {a[i]}, PyTorch gives {e[i]}");
    }

    static Module TorchvisionModel(string name) => name switch
    {
        "alexnet" => AlexNet.Torchvision(),
        "vgg11" => VGG.VGG11(3, 1000),
        "vgg11_bn" => VGG.VGG11(3, 1000, batchNorm: true),
        "vgg16" => VGG.VGG16(3, 1000),
        "vgg19" => VGG.VGG19(3, 1000),
        "resnet18" => ResNet.ResNet18(3, 1000),
        "resnet34" => ResNet.ResNet34(3, 1000),
        "resnet50" => ResNet.ResNet50(3, 1000),
        "densenet121" => DenseNet.DenseNet121(),
        "googlenet" => GoogLeNet.Torchvision(),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("alexnet")]
    [InlineData("vgg11")]
    [InlineData("vgg11_bn")]
    [InlineData("vgg16")]
    [InlineData("vgg19")]
    [InlineData("resnet18")]
    [InlineData("resnet34")]
    [InlineData("resnet50")]
    [InlineData("densenet121")]
    [InlineData("googlenet")]
    public void Torchvision_constructor_has_torchvision_state_dict_keys_and_shapes(string name)
    {
        var root = JsonDocument.Parse(File.ReadAllText(FixturePath("zoo_torchvision_keys.json"))).RootElement;
        var expected = root.GetProperty("models").GetProperty(name).EnumerateArray()
            .Select(e => (Key: e[0].GetString()!, Shape: string.Join(",", e[1].EnumerateArray().Select(d => d.GetInt32()))))
            .ToList();
        var actual = TorchvisionModel(name).StateDict()
            .Select(p => (Key: p.Key, Shape: string.Join(",", p.Value.Shape.ToArray())))
            .ToList();
        Assert.Equal(expected.Select(e => e.Key), actual.Select(a => a.Key));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ResNet_block_batchnorm_uses_batch_statistics_in_training_and_running_statistics_in_eval()
    {
        var block = new BasicBlock(4, 4);
        var x = Tensor.Randn([3, 4, 6, 6], generator: new Generator(7));
        Tensor conv1Output;
        using (Autograd.NoGrad()) conv1Output = block.Conv1.Call(x);
        var batchMean = conv1Output.Mean([0, 2, 3]).ToArray<float>();

        block.Train();
        Tensor trainOutput;
        using (Autograd.NoGrad()) trainOutput = block.Call(x);
        // running_mean ← (1 − 0.1)·0 + 0.1·batch mean, one batch tracked.
        var runningMean = block.Bn1.RunningMean!.ToArray<float>();
        for (int c = 0; c < 4; c++) Assert.Equal(0.1f * batchMean[c], runningMean[c], 1e-5f);
        Assert.Equal(1L, block.Bn1.NumBatchesTracked!.Item<long>());

        block.Eval();
        Tensor eval1, eval2;
        using (Autograd.NoGrad()) { eval1 = block.Call(x); eval2 = block.Call(x); }
        Assert.Equal(runningMean, block.Bn1.RunningMean!.ToArray<float>());
        Assert.Equal(1L, block.Bn1.NumBatchesTracked!.Item<long>());
        Assert.Equal(eval1.ToArray<float>(), eval2.ToArray<float>());
        // Training normalises each channel of the batch to mean 0: bn1's output averages ≈ 0 per channel;
        // eval uses the (different) running statistics, so the block's outputs differ.
        Assert.NotEqual(trainOutput.ToArray<float>(), eval1.ToArray<float>());
        Tensor normalised;
        block.Train();
        using (Autograd.NoGrad()) normalised = block.Bn1.Call(conv1Output);
        foreach (var m in normalised.Mean([0, 2, 3]).ToArray<float>()) Assert.True(Math.Abs(m) < 1e-5, $"channel mean {m}");
    }

    [Fact]
    public void GoogLeNet_auxiliary_heads_run_in_training_only()
    {
        var model = new GoogLeNet(width: 1.0 / 16, auxLogits: true);
        var x = Tensor.Randn([2, 1, 64, 64], generator: new Generator(3));
        model.Train();
        var (logits, aux1, aux2) = model.ForwardWithAux(x);
        Assert.Equal([2, 10], logits.Shape.ToArray());
        Assert.NotNull(aux1);
        Assert.NotNull(aux2);
        Assert.Equal([2, 10], aux1!.Shape.ToArray());
        Assert.Equal([2, 10], aux2!.Shape.ToArray());

        model.Eval();
        var eval = model.ForwardWithAux(x);
        Assert.Null(eval.Aux1);
        Assert.Null(eval.Aux2);
        Assert.Contains(model.StateDict().Keys, k => k.StartsWith("aux1.fc2.", StringComparison.Ordinal));

        var plain = new GoogLeNet(width: 1.0 / 16);
        plain.Train();
        Assert.Null(plain.ForwardWithAux(x).Aux1);
        Assert.DoesNotContain(plain.StateDict().Keys, k => k.StartsWith("aux", StringComparison.Ordinal));
    }

    [Fact]
    public void DenseBlock_concatenates_its_input_and_each_layers_growth()
    {
        var block = new DenseBlock(numLayers: 3, inChannels: 5, growthRate: 4);
        block.Eval();
        var x = Tensor.Randn([2, 5, 8, 8], generator: new Generator(11));
        Tensor y;
        using (Autograd.NoGrad()) y = block.Call(x);
        Assert.Equal(17, block.OutChannels);
        Assert.Equal([2, 17, 8, 8], y.Shape.ToArray());
        Assert.Equal(x.ToArray<float>(), y.Narrow(1, 0, 5).Contiguous().ToArray<float>());
    }

    [Fact]
    public void Course_DenseNet_has_248_channels_before_the_classifier()
    {
        // d2l §8.7: 64 → 192 → 96 → 224 → 112 → 240 → 120 → 248 with growth 32 and four 4-layer blocks.
        var model = new DenseNet();
        Assert.Equal(248, model.NumFeatures);
        Assert.Equal([10, 248], model.Classifier.Weight.Shape.ToArray());
        Assert.Equal([96, 192, 1, 1], model.StateDict()["features.transition1.conv.weight"].Shape.ToArray());
    }

    [Theory]
    [InlineData("resnet34", 32)]
    [InlineData("vgg16", 32)]
    [InlineData("vgg19", 32)]
    public void Deeper_layouts_run_on_small_inputs(string name, int size)
    {
        Module<Tensor, Tensor> model = name switch
        {
            "resnet34" => ResNet.ResNet34(width: 1.0 / 16),
            "vgg16" => VGG.VGG16(width: 1.0 / 64),
            _ => VGG.VGG19(width: 1.0 / 64, batchNorm: true),
        };
        model.Eval();
        Tensor y;
        using (Autograd.NoGrad()) y = model.Call(Tensor.Randn([2, 1, size, size], generator: new Generator(5)));
        Assert.Equal([2, 10], y.Shape.ToArray());
        Assert.All(y.ToArray<float>(), v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("densenet_bc")]
    [InlineData("googlenet")]
    public void Course_model_trains_down_the_loss_on_a_fixed_batch(string name)
    {
        Generator.ManualSeed(21);
        var model = CourseModel(name);
        var generator = new Generator(22);
        int size = name == "googlenet" ? 64 : 32;
        var inputs = Tensor.Randn([8, 1, size, size], generator: generator);
        var labels = Tensor.RandInt(0, 10, [8], generator: generator);
        var optimizer = new Adam(model.Parameters(), lr: name == "googlenet" ? 3e-3 : 1e-2);
        model.Train();
        double Step()
        {
            Tensor loss, total;
            if (model is GoogLeNet googLeNet)
            {
                // The paper's recipe: auxiliary losses weighted by 0.3 (their dropout 0.7 keeps them noisy,
                // so the test follows the main loss).
                var (logits, aux1, aux2) = googLeNet.ForwardWithAux(inputs);
                loss = Functional.CrossEntropy(logits, labels);
                total = loss + (Functional.CrossEntropy(aux1!, labels) + Functional.CrossEntropy(aux2!, labels)) * 0.3;
            }
            else
            {
                loss = total = Functional.CrossEntropy(model.Call(inputs), labels);
            }
            optimizer.ZeroGrad();
            total.Backward();
            optimizer.Step();
            return loss.Item<float>();
        }
        double first = Step();
        double last = first;
        for (int i = 0; i < 40; i++) last = Step();
        // The BatchNorm-free GoogLeNet at width 1/16 plateaus near the entropy of the batch's labels
        // (≈ 1.5 nats, PyTorch too), so it is held to a smaller drop.
        double factor = name == "googlenet" ? 0.75 : 0.5;
        Assert.True(last < factor * first, $"{name}: loss went from {first} to {last}");
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
    }

    [Fact]
    public void VGG_from_the_course_conv_arch_is_VGG11()
    {
        var fromBlocks = VGG.FromBlocks([(1, 64), (1, 128), (2, 256), (2, 512), (2, 512)], width: 1.0 / 64);
        var vgg11 = VGG.VGG11(width: 1.0 / 64);
        Assert.Equal(vgg11.StateDict().Select(p => (p.Key, string.Join(",", p.Value.Shape.ToArray()))),
            fromBlocks.StateDict().Select(p => (p.Key, string.Join(",", p.Value.Shape.ToArray()))));
        Assert.Equal(21, fromBlocks.Features.Count); // 8 convolutions, 8 ReLUs, 5 max-pools
    }
}
