using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// DenseNet (Huang et al., 2017) with torchvision's layout: <c>features</c> (<c>conv0</c>,
/// <c>norm0</c>, <c>relu0</c>, <c>pool0</c>, then <c>denseblock{i}</c> and <c>transition{i}</c>
/// (BN-ReLU-conv1×1 halving the channels, 2×2 average pool), then <c>norm5</c>), ReLU, global
/// average pooling and <c>classifier</c>. The constructor's defaults are the course's DenseNet for
/// 96×96 Fashion-MNIST (d2l §8.7: four blocks of 4 layers, growth 32, 64 stem channels, no
/// bottleneck; its convolutions are bias-free here, as torchvision's, since a BatchNorm follows each);
/// <see cref="DenseNet121"/> matches <c>torchvision.models.densenet121</c>'s keys.
/// Shape: [N, inChannels, H, W] → [N, numClasses].
/// </summary>
public sealed class DenseNet : Module<Tensor, Tensor>
{
    /// <summary>Stem, dense blocks, transitions and the final BatchNorm.</summary>
    public Sequential Features { get; }

    /// <summary>
    /// Output layer. Setting it replaces the head, as <c>model.classifier = nn.Linear(n, k)</c> in
    /// PyTorch (fine-tuning on other classes).
    /// </summary>
    public Linear Classifier
    {
        get => (Linear)GetModule("classifier")!;
        set => RegisterModule("classifier", value ?? throw new ArgumentNullException(nameof(value), "DenseNet.Classifier: the output layer cannot be null."));
    }

    /// <summary>Channels entering the classifier.</summary>
    public int NumFeatures { get; }

    /// <summary>A DenseNet.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="numClasses">Number of outputs.</param>
    /// <param name="growthRate">Channels each dense layer adds.</param>
    /// <param name="blockConfig">Layers per dense block.</param>
    /// <param name="numInitFeatures">Channels of the stem convolution.</param>
    /// <param name="bnSize">Bottleneck factor (0 = no 1×1 bottleneck, as the course).</param>
    /// <param name="dropRate">Dropout after each dense layer.</param>
    /// <param name="width">Multiplies the growth rate and the stem channels.</param>
    public DenseNet(int inChannels = 1, int numClasses = 10, int growthRate = 32, IReadOnlyList<int>? blockConfig = null,
        int numInitFeatures = 64, int bnSize = 0, double dropRate = 0.0, double width = 1.0)
    {
        blockConfig ??= [4, 4, 4, 4];
        growthRate = ModelWidth.Scale(growthRate, width);
        int channels = ModelWidth.Scale(numInitFeatures, width);
        Features = new Sequential(
            ("conv0", new Conv2d(inChannels, channels, 7, stride: 2, padding: 3, bias: false)),
            ("norm0", new BatchNorm2d(channels)),
            ("relu0", new ReLU()),
            ("pool0", new MaxPool2d(3, stride: 2, padding: 1)));
        for (int i = 0; i < blockConfig.Count; i++)
        {
            var block = new DenseBlock(blockConfig[i], channels, growthRate, bnSize, dropRate);
            Features.Add($"denseblock{i + 1}", block);
            channels = block.OutChannels;
            if (i == blockConfig.Count - 1) continue;
            Features.Add($"transition{i + 1}", Transition(channels, channels / 2));
            channels /= 2;
        }
        Features.Add("norm5", new BatchNorm2d(channels));
        NumFeatures = channels;
        RegisterModule("features", Features);
        RegisterModule("classifier", new Linear(channels, numClasses));
    }

    /// <summary>A transition layer: BN, ReLU, 1×1 convolution, 2×2 average pool (keys <c>norm</c>, <c>conv</c>).</summary>
    public static Sequential Transition(int inChannels, int outChannels) => new(
        ("norm", new BatchNorm2d(inChannels)),
        ("relu", new ReLU()),
        ("conv", new Conv2d(inChannels, outChannels, 1, bias: false)),
        ("pool", new AvgPool2d(2, stride: 2)));

    /// <summary>DenseNet-121 (torchvision: growth 32, blocks [6, 12, 24, 16], 64 stem channels, bottleneck 4).</summary>
    public static DenseNet DenseNet121(int inChannels = 3, int numClasses = 1000) =>
        new(inChannels, numClasses, 32, [6, 12, 24, 16], 64, bnSize: 4);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = Functional.Relu(Features.Call(input));
        return Classifier.Call(Functional.AdaptiveAvgPool2d(x, 1).Flatten(1));
    }
}
