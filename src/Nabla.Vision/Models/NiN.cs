using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// Network in Network (Lin et al., 2013) as the course builds it (d2l §8.3): four NiN blocks (a
/// k×k convolution followed by two 1×1 convolutions, each with ReLU), max-pools between them,
/// dropout, and global average pooling over one channel per class, no fully connected layer.
/// The layers sit in <c>net</c> (keys <c>net.0.0.weight</c> … as d2l's Sequential, prefixed).
/// Shape: [N, inChannels, 224, 224] → [N, numClasses] (H, W ≥ 67).
/// </summary>
public sealed class NiN : Module<Tensor, Tensor>
{
    /// <summary>The whole network.</summary>
    public Sequential Net { get; }

    /// <summary>The course's NiN.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="numClasses">Number of outputs (channels of the last block).</param>
    /// <param name="width">Multiplies the hidden channel counts.</param>
    /// <param name="dropout">Dropout probability before the last block.</param>
    public NiN(int inChannels = 1, int numClasses = 10, double width = 1.0, double dropout = 0.5)
    {
        int c1 = ModelWidth.Scale(96, width), c2 = ModelWidth.Scale(256, width), c3 = ModelWidth.Scale(384, width);
        Net = new Sequential(
            Block(inChannels, c1, 11, 4, 0), new MaxPool2d(3, stride: 2),
            Block(c1, c2, 5, 1, 2), new MaxPool2d(3, stride: 2),
            Block(c2, c3, 3, 1, 1), new MaxPool2d(3, stride: 2),
            new Dropout(dropout),
            Block(c3, numClasses, 3, 1, 1),
            new AdaptiveAvgPool2d(1), new Flatten());
        RegisterModule("net", Net);
    }

    /// <summary>A NiN block: k×k convolution then two 1×1 convolutions, each followed by ReLU.</summary>
    public static Sequential Block(int inChannels, int outChannels, int kernelSize, int stride, int padding) => new(
        new Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding), new ReLU(),
        new Conv2d(outChannels, outChannels, 1), new ReLU(),
        new Conv2d(outChannels, outChannels, 1), new ReLU());

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Net.Call(input);
}
