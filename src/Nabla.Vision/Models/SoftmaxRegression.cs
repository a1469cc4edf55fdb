using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// Softmax regression on 28×28 images (the course's first classifier): flatten, then one linear
/// layer to the class scores. The softmax itself lives in the cross-entropy loss.
/// </summary>
public static class SoftmaxRegression
{
    /// <summary>
    /// Builds <c>Sequential(Flatten, Linear(784, 10))</c> with the course's initialisation: weights
    /// drawn from N(0, 0.01²), biases left at PyTorch's default.
    /// Shape: [N, 1, 28, 28] → [N, 10].
    /// </summary>
    /// <param name="inputs">Pixels per image.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="generator">Random source of the initial weights; <see cref="Generator.Default"/> when null.</param>
    public static Sequential Create(int inputs = 784, int classes = 10, Generator? generator = null)
    {
        var linear = new Linear(inputs, classes);
        Init.Normal_(linear.Weight, mean: 0, std: 0.01, generator);
        return new Sequential(new Flatten(), linear);
    }
}
