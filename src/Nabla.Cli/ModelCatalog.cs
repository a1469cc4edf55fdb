using Nabla.Vision.Models;

namespace Nabla.Cli;

/// <summary>The models <c>nabla train</c> can train, by name, with the course's defaults.</summary>
public static class ModelCatalog
{
    /// <summary>All models, in the order of the course's chapters.</summary>
    /// <remarks>
    /// The CNN zoo's recipes are d2l's (chapters 8.1–8.7): AlexNet, NiN at 224 px, VGG-11 at 224 px with
    /// the course's channel ratio 4 (width 1/4), GoogLeNet, ResNet-18 and DenseNet at 96 px, batch 128.
    /// </remarks>
    public static IReadOnlyList<ModelSpec> All { get; } =
    [
        new("softmax", "softmax regression: Flatten, Linear(784, 10)", 0.1, 10, 256, o => SoftmaxRegression.Create(classes: o.NumClasses)) { Head = ["1"] },
        new("mlp", "MLP 784-256-10 with ReLU, Xavier init", 0.1, 10, 256, o => Mlp.Create(classes: o.NumClasses)) { Head = ["3"] },
        new("mlp-dropout", "MLP 784-256-256-10 with ReLU and dropout 0.2 / 0.5", 0.5, 10, 256, o => Mlp.CreateWithDropout(classes: o.NumClasses)) { Head = ["7"] },
        new("lenet", "LeNet-5: sigmoid + average pooling, Xavier init", 0.9, 10, 256, o => LeNet.Create(numClasses: o.NumClasses))
        {
            Head = ["11"], SampleRecipe = new SampleRecipe(Epochs: 30, BatchSize: 64),
        },
        new("lenet-bn", "LeNet-5 with batch normalisation after each conv/linear layer", 1.0, 10, 256, o => LeNet.CreateBatchNorm(numClasses: o.NumClasses)) { Head = ["15"] },
        new("alexnet", "AlexNet (d2l 8.1): 5 convolutions, 3 linear layers with dropout", 0.01, 10, 128, o => Xavier(new AlexNet(numClasses: o.NumClasses, width: o.Width)))
        {
            InputSize = 224, MinInputSize = 67, DefaultWidth = 1.0, Head = ["classifier.6"],
        },
        new("alexnet-lrn", "AlexNet as in the paper: local response normalisation after the first two convolutions", 0.01, 10, 128,
            o => Xavier(AlexNet.Original(numClasses: o.NumClasses, width: o.Width)))
        {
            InputSize = 224, MinInputSize = 67, DefaultWidth = 1.0, Head = ["classifier.6"],
        },
        new("vgg11", "VGG-11 (d2l 8.2): 8 convolutions in 5 blocks, 3 linear layers", 0.05, 10, 128, o => Xavier(VGG.VGG11(numClasses: o.NumClasses, width: o.Width)))
        {
            InputSize = 224, MinInputSize = 32, DefaultWidth = 0.25, Head = ["classifier.6"],
        },
        new("nin", "Network in Network (d2l 8.3): NiN blocks, global average pooling", 0.1, 10, 128, o => Xavier(new NiN(numClasses: o.NumClasses, width: o.Width)))
        {
            InputSize = 224, MinInputSize = 67, DefaultWidth = 1.0, Head = ["net.7"],
        },
        new("googlenet", "GoogLeNet (d2l 8.4): Inception blocks, global average pooling", 0.1, 10, 128, o => Xavier(new GoogLeNet(numClasses: o.NumClasses, width: o.Width, auxLogits: o.AuxLogits)))
        {
            InputSize = 96, MinInputSize = 32, DefaultWidth = 1.0, Head = ["fc"], AuxHeads = ["aux1", "aux2"],
        },
        new("resnet18", "ResNet-18 (d2l 8.6): residual blocks with batch normalisation", 0.05, 10, 128, o => Xavier(ResNet.ResNet18(numClasses: o.NumClasses, width: o.Width)))
        {
            InputSize = 96, MinInputSize = 32, DefaultWidth = 1.0, Head = ["fc"],
        },
        new(PretrainedResNet18, "ResNet-18 pre-trained on ImageNet (Microsoft.ML.DnnImageFeaturizer.ResNet18; CNTK's, blocks [2, 2, 2, 3]), fresh head; grey images repeated to 3 channels, ImageNet mean subtracted (train resnet18 --pretrained imagenet)",
            0.05, 10, 128, o => ImageNetResNet.Create(o.NumClasses))
        {
            InputSize = 96, MinInputSize = 32, Head = ["fc"],
        },
        new("densenet", "DenseNet (d2l 8.7): 4 dense blocks of 4 layers, growth rate 32", 0.1, 10, 128, o => Xavier(new DenseNet(numClasses: o.NumClasses, width: o.Width)))
        {
            InputSize = 96, MinInputSize = 32, DefaultWidth = 1.0, Head = ["classifier"],
        },
    ];

    /// <summary>The catalog name of <c>resnet18 --pretrained imagenet</c>.</summary>
    public const string PretrainedResNet18 = "resnet18-imagenet";

    /// <summary>The model that <c>nabla train MODEL --pretrained WEIGHTS</c> trains.</summary>
    /// <exception cref="ArgumentException">No pre-trained weights of that name for that model (there are: resnet18 imagenet).</exception>
    public static ModelSpec GetPretrained(string model, string weights) =>
        string.Equals(model, "resnet18", StringComparison.OrdinalIgnoreCase) && string.Equals(weights, "imagenet", StringComparison.OrdinalIgnoreCase)
            ? Get(PretrainedResNet18)
            : throw new ArgumentException($"--pretrained {weights}: no pre-trained weights of that name for {model}; there are: resnet18 --pretrained imagenet.");

    /// <summary>The names of all models, comma-separated, for messages.</summary>
    public static string Names => string.Join(", ", All.Select(m => m.Name));

    /// <summary>The model called <paramref name="name"/> (case-insensitive), or null.</summary>
    public static ModelSpec? Find(string? name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The model called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No model has that name; the message lists the models.</exception>
    public static ModelSpec Get(string name) =>
        Find(name) ?? throw new ArgumentException(UnknownModelMessage(name), nameof(name));

    /// <summary>The error for an unknown model name, listing the known ones.</summary>
    public static string UnknownModelMessage(string? name) => $"Unknown model '{name}'. Models: {Names}.";

    // The course's train_ch6 draws every Linear and Conv2d weight from Xavier-uniform before training.
    private static T Xavier<T>(T model) where T : Nabla.NN.Module
    {
        InitWeights.XavierUniform(model);
        return model;
    }
}
