using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// Multilayer perceptrons on 28×28 images, as in the course's MLP and dropout chapters.
/// </summary>
public static class Mlp
{
    /// <summary>
    /// Builds the anchors' MLP <c>Sequential(Flatten, Linear(784, 256), ReLU, Linear(256, 10))</c>
    /// with Xavier-uniform weights (as <c>torch_anchor.py</c> initialises it).
    /// Shape: [N, 1, 28, 28] → [N, 10].
    /// </summary>
    /// <param name="hidden">Width of the hidden layer.</param>
    /// <param name="inputs">Pixels per image.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="generator">Random source of the initial weights; <see cref="Generator.Default"/> when null.</param>
    public static Sequential Create(int hidden = 256, int inputs = 784, int classes = 10, Generator? generator = null)
    {
        var net = new Sequential(new Flatten(), new Linear(inputs, hidden), new ReLU(), new Linear(hidden, classes));
        InitWeights.XavierUniform(net, generator);
        return net;
    }

    /// <summary>
    /// Builds the dropout chapter's MLP <c>Flatten, Linear(784, 256), ReLU, Dropout(0.2),
    /// Linear(256, 256), ReLU, Dropout(0.5), Linear(256, 10)</c> with weights drawn from N(0, 0.01²).
    /// Shape: [N, 1, 28, 28] → [N, 10].
    /// </summary>
    /// <param name="dropout1">Drop probability after the first hidden layer.</param>
    /// <param name="dropout2">Drop probability after the second hidden layer.</param>
    /// <param name="hidden">Width of both hidden layers.</param>
    /// <param name="generator">Random source of the initial weights and of the dropout masks; <see cref="Generator.Default"/> when null.</param>
    /// <param name="classes">Number of classes.</param>
    public static Sequential CreateWithDropout(double dropout1 = 0.2, double dropout2 = 0.5, int hidden = 256, Generator? generator = null, int classes = 10)
    {
        var net = new Sequential(
            new Flatten(),
            new Linear(784, hidden), new ReLU(), new Dropout(dropout1, generator),
            new Linear(hidden, hidden), new ReLU(), new Dropout(dropout2, generator),
            new Linear(hidden, classes));
        foreach (Module module in net.Modules())
        {
            if (module is Linear linear)
            {
                Init.Normal_(linear.Weight, mean: 0, std: 0.01, generator);
            }
        }
        return net;
    }
}
