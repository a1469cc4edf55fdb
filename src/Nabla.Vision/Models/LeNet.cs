using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// The course's LeNet-5 for 28×28 Fashion-MNIST images: two convolution blocks with sigmoid and
/// average pooling, then three fully connected layers (the d2l version of LeCun et al., 1998).
/// </summary>
public static class LeNet
{
    /// <summary>
    /// Builds <c>Conv2d(1, 6, 5, padding=2), Sigmoid, AvgPool2d(2, 2), Conv2d(6, 16, 5), Sigmoid,
    /// AvgPool2d(2, 2), Flatten, Linear(400, 120), Sigmoid, Linear(120, 84), Sigmoid, Linear(84, 10)</c>
    /// with Xavier-uniform weights (the course's <c>train_ch6</c> initialisation, as in the anchors).
    /// Shape: [N, 1, 28, 28] → [N, 10].
    /// </summary>
    /// <param name="generator">Random source of the initial weights; <see cref="Generator.Default"/> when null.</param>
    /// <param name="numClasses">Number of outputs.</param>
    public static Sequential Create(Generator? generator = null, int numClasses = 10)
    {
        var net = new Sequential(
            new Conv2d(1, 6, kernelSize: 5, padding: 2), new Sigmoid(),
            new AvgPool2d(kernelSize: 2, stride: 2),
            new Conv2d(6, 16, kernelSize: 5), new Sigmoid(),
            new AvgPool2d(kernelSize: 2, stride: 2),
            new Flatten(),
            new Linear(16 * 5 * 5, 120), new Sigmoid(),
            new Linear(120, 84), new Sigmoid(),
            new Linear(84, numClasses));
        InitWeights.XavierUniform(net, generator);
        return net;
    }

    /// <summary>
    /// Builds the batch-normalisation chapter's LeNet: a <c>BatchNorm2d</c> after each convolution
    /// and a <c>BatchNorm1d</c> after the first two linear layers, each before its sigmoid, with
    /// the unpadded first convolution of that chapter (<c>Conv2d(1, 6, 5)</c>, so the flattened
    /// features are 16·4·4 = 256). Xavier-uniform weights.
    /// Shape: [N, 1, 28, 28] → [N, 10].
    /// </summary>
    /// <param name="generator">Random source of the initial weights; <see cref="Generator.Default"/> when null.</param>
    /// <param name="numClasses">Number of outputs.</param>
    public static Sequential CreateBatchNorm(Generator? generator = null, int numClasses = 10)
    {
        var net = new Sequential(
            new Conv2d(1, 6, kernelSize: 5), new BatchNorm2d(6), new Sigmoid(),
            new AvgPool2d(kernelSize: 2, stride: 2),
            new Conv2d(6, 16, kernelSize: 5), new BatchNorm2d(16), new Sigmoid(),
            new AvgPool2d(kernelSize: 2, stride: 2),
            new Flatten(),
            new Linear(16 * 4 * 4, 120), new BatchNorm1d(120), new Sigmoid(),
            new Linear(120, 84), new BatchNorm1d(84), new Sigmoid(),
            new Linear(84, numClasses));
        InitWeights.XavierUniform(net, generator);
        return net;
    }
}
