using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Tests.TestSupport;
using Nabla.Training;
using Nabla.Vision;
using Nabla.Vision.Datasets;
using Nabla.Vision.Models;
using Xunit.Abstractions;

namespace Nabla.Tests.Training;

/// <summary>Fine-tuning: a pretrained backbone, a new head, frozen layers, a smaller rate for the backbone.</summary>
[Collection(DefaultGeneratorCollection.Name)]
public sealed class FineTuningTests(ITestOutputHelper output)
{
    private static readonly string[] ResNetChildren = ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"];

    [Fact]
    public void FreezeUntil_freezes_the_top_level_modules_up_to_and_including_the_named_one()
    {
        var model = ResNet.ResNet18(width: 0.125);

        IReadOnlyList<string> frozen = FineTuning.FreezeUntil(model, "layer2");

        Assert.Equal(ResNetChildren[..6], frozen);
        foreach (var (name, parameter) in model.NamedParameters())
        {
            bool shouldFreeze = FineTuning.IsUnder(name, ["conv1", "bn1", "layer1", "layer2"]);
            Assert.True(parameter.RequiresGrad != shouldFreeze, $"{name}: RequiresGrad {parameter.RequiresGrad}");
        }
        Assert.Equal(ResNetChildren, FineTuning.ChildNames(model));
    }

    [Fact]
    public void Zoo_models_list_their_children_in_torchvisions_order()
    {
        Assert.Equal(
            ["conv1", "maxpool1", "conv2", "conv3", "maxpool2", "inception3a", "inception3b", "maxpool3", "inception4a", "inception4b", "inception4c",
             "inception4d", "inception4e", "maxpool4", "inception5a", "inception5b", "aux1", "aux2", "avgpool", "dropout", "fc"],
            FineTuning.ChildNames(new GoogLeNet(width: 0.0625, auxLogits: true)));
        Assert.Equal(["features", "avgpool", "classifier"], FineTuning.ChildNames(new AlexNet(width: 0.0625)));
        Assert.Equal(["features", "classifier"], FineTuning.ChildNames(new DenseNet(width: 0.0625)));
    }

    [Fact]
    public void FreezeUntil_a_dotted_path_freezes_the_modules_before_it_at_each_level()
    {
        var model = VGG.VGG11(width: 0.0625);

        IReadOnlyList<string> frozen = FineTuning.FreezeUntil(model, "features.4");

        Assert.Equal(["features.0", "features.1", "features.2", "features.3", "features.4"], frozen);
        Assert.False(((Conv2d)model.Features[3]).Weight.RequiresGrad);
        Assert.True(((Conv2d)model.Features[6]).Weight.RequiresGrad);
        Assert.All(model.Classifier.Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.Equal(["conv1", "bn1", "relu", "maxpool", "layer1", "layer2.0"], FineTuning.ModulesUntil(ResNet.ResNet18(width: 0.125), "layer2.0"));
        var error = Assert.Throws<ArgumentException>(() => FineTuning.ModulesUntil(model, "classifier.9"));
        Assert.Contains("FreezeUntil: classifier (Sequential) has no module named '9'. Valid names there: 0, 1, 2, 3, 4, 5, 6.", error.Message);
    }

    [Fact]
    public void FreezeUntil_an_unknown_module_lists_the_valid_names()
    {
        var error = Assert.Throws<ArgumentException>(() => FineTuning.FreezeUntil(ResNet.ResNet18(width: 0.125), "layer5"));

        Assert.Contains("FreezeUntil: ResNet has no top-level module named 'layer5'. Valid names: " + string.Join(", ", ResNetChildren) + ".", error.Message);
    }

    [Fact]
    public void LoadBackbone_copies_everything_but_the_head_which_keeps_its_new_shape_and_values()
    {
        Generator.ManualSeed(1);
        var pretrained = ResNet.ResNet18(numClasses: 5, width: 0.125);
        Generator.ManualSeed(2);
        var model = ResNet.ResNet18(numClasses: 3, width: 0.125);
        Tensor freshHead = model.Fc.Weight.Clone();

        FineTuning.LoadBackbone(model, pretrained.StateDict(), ["fc"]);

        Dictionary<string, Tensor> loaded = model.StateDict(), source = pretrained.StateDict();
        foreach (var (key, value) in loaded)
        {
            if (key.StartsWith("fc.", StringComparison.Ordinal)) continue;
            Assert.True(value.Equal(source[key]), key);
        }
        Assert.Equal([3, 64], model.Fc.Weight.Shape.ToArray());
        Assert.True(model.Fc.Weight.Equal(freshHead));
    }

    [Fact]
    public void LoadBackbone_names_the_key_of_a_mismatch_outside_the_head_and_an_unknown_head()
    {
        var narrow = ResNet.ResNet18(width: 0.125);
        var wide = ResNet.ResNet18(width: 0.25);
        var vgg = VGG.VGG11(width: 0.0625);

        var shape = Assert.Throws<ShapeException>(() => FineTuning.LoadBackbone(narrow, wide.StateDict(), ["fc"]));
        var head = Assert.Throws<ArgumentException>(() => FineTuning.LoadBackbone(narrow, narrow.StateDict(), ["head"]));
        var missing = Assert.Throws<ArgumentException>(() => FineTuning.LoadBackbone(vgg, vgg.StateDict().Where(kv => kv.Key != "features.0.bias").ToDictionary(), ["classifier.6"]));

        Assert.Contains("conv1.weight", shape.Message);
        Assert.Contains("'head' is not a module of ResNet. Top-level modules: conv1, bn1", head.Message);
        Assert.Contains("Missing: features.0.bias.", missing.Message);
    }

    [Fact]
    public void ParamGroups_give_the_unfrozen_backbone_its_own_rate_and_leave_frozen_parameters_out()
    {
        var model = ResNet.ResNet18(width: 0.125);
        FineTuning.FreezeUntil(model, "layer3");

        var optimizer = new SGD(FineTuning.ParamGroups(model, ["fc"], backboneLr: 0.001), lr: 0.1);

        Assert.Equal(2, optimizer.ParamGroups.Count);
        var layer4 = model.Layer(4).Parameters().Cast<Tensor>().ToList();
        Assert.Equal(layer4, optimizer.ParamGroups[0].Params);
        Assert.Equal(0.001, optimizer.ParamGroups[0].Lr);
        Assert.Equal(new Tensor[] { model.Fc.Weight, model.Fc.Bias! }, optimizer.ParamGroups[1].Params);
        Assert.Equal(0.1, optimizer.ParamGroups[1].Lr);

        FineTuning.FreezeUntil(model, "fc");
        var error = Assert.Throws<ArgumentException>(() => FineTuning.ParamGroups(model, ["fc"]));
        Assert.Contains("every parameter of ResNet is frozen", error.Message);
    }

    [Fact]
    public void Trained_step_leaves_frozen_layers_unchanged_and_moves_the_others()
    {
        Generator.ManualSeed(3);
        var model = ResNet.ResNet18(numClasses: 4, width: 0.125);
        FineTuning.FreezeUntil(model, "layer1");
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Clone());
        var trainer = new Trainer(model, new SGD(FineTuning.ParamGroups(model, ["fc"], backboneLr: 0.01), lr: 0.1));

        trainer.Step(Tensor.Randn(8, 1, 32, 32), Tensor.From(new long[] { 0, 1, 2, 3, 0, 1, 2, 3 }));

        foreach (var (name, parameter) in model.NamedParameters())
        {
            bool frozen = FineTuning.IsUnder(name, ["conv1", "bn1", "layer1"]);
            Assert.True(parameter.Equal(before[name]) == frozen, $"{name}: frozen {frozen} but {(frozen ? "changed" : "unchanged")}");
        }
    }

    // The issue's demonstration, small: ResNet-18 at width 1/8 pretrained for one epoch on classes 0–4
    // of the embedded sample, then 12 steps on classes 5–9. The fine-tuned model (new head, stem and
    // layer1 frozen, backbone at 0.4× the head's rate) must beat the same network trained from
    // scratch for the same 12 steps on the same batches.
    [Fact]
    public void Fine_tuning_from_classes_0_to_4_beats_training_from_scratch_on_classes_5_to_9()
    {
        const int Steps = 12, BatchSize = 32;
        var train = new FashionMnistDataset(FashionMnist.LoadSample(train: true));
        var test = new FashionMnistDataset(FashionMnist.LoadSample(train: false)).SelectClasses(5, 6, 7, 8, 9);
        var testBatches = new DataLoader<(Tensor Image, Tensor Label)>(test, 1000);
        IEnumerable<(Tensor Image, Tensor Label)> Batches(MnistDataset data, int count) =>
            new DataLoader<(Tensor Image, Tensor Label)>(data, BatchSize, shuffle: true, generator: new Generator(7)).Take(count);

        Generator.ManualSeed(0);
        var pretrained = ResNet.ResNet18(numClasses: 5, width: 0.125);
        var oldTask = train.SelectClasses(0, 1, 2, 3, 4);
        var pretrainer = new Trainer(pretrained, new SGD(pretrained.Parameters(), lr: 0.05, momentum: 0.9));
        pretrainer.TrainEpoch(1, Batches(oldTask, int.MaxValue), 0, new EpochTotals());
        output.WriteLine($"pretrained on 0–4: test accuracy {Trainer.Evaluate(pretrained, new DataLoader<(Tensor, Tensor)>(new FashionMnistDataset(FashionMnist.LoadSample(false)).SelectClasses(0, 1, 2, 3, 4), 1000)):F4}");

        var newTask = train.SelectClasses(5, 6, 7, 8, 9);
        double Train(ResNet model, Optimizer optimizer)
        {
            var trainer = new Trainer(model, optimizer);
            var totals = new EpochTotals();
            trainer.TrainEpoch(1, Batches(newTask, Steps), Steps, totals);
            return Trainer.Evaluate(model, testBatches);
        }

        Generator.ManualSeed(1);
        var fineTuned = ResNet.ResNet18(numClasses: 5, width: 0.125);
        FineTuning.LoadBackbone(fineTuned, pretrained.StateDict(), ["fc"]);
        FineTuning.FreezeUntil(fineTuned, "layer1");
        double fineTunedAccuracy = Train(fineTuned, new SGD(FineTuning.ParamGroups(fineTuned, ["fc"], backboneLr: 0.02), lr: 0.05, momentum: 0.9));

        Generator.ManualSeed(1);
        var scratch = ResNet.ResNet18(numClasses: 5, width: 0.125);
        double scratchAccuracy = Train(scratch, new SGD(scratch.Parameters(), lr: 0.05, momentum: 0.9));

        output.WriteLine($"after {Steps} steps on 5–9: fine-tuned {fineTunedAccuracy:F4}, from scratch {scratchAccuracy:F4}");
        Assert.True(fineTunedAccuracy > scratchAccuracy + 0.05, $"fine-tuned {fineTunedAccuracy:F4}, from scratch {scratchAccuracy:F4}");
    }
}
