using Nabla.Optim;

namespace Nabla.Cli;

/// <summary>Builds an optimizer from its name on the command line.</summary>
public static class OptimizerFactory
{
    /// <summary>Names accepted by <c>--optimizer</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sgd", "adam", "adamw", "adagrad", "rmsprop", "adadelta"];

    /// <summary>PyTorch's default learning rate of each optimizer except SGD, which has none.</summary>
    public static double? DefaultLearningRate(string name) => name switch
    {
        "adam" or "adamw" => 1e-3,
        "adagrad" or "rmsprop" => 1e-2,
        "adadelta" => 1.0,
        _ => null,
    };

    /// <summary>The optimizer <paramref name="name"/> over <paramref name="parameters"/> with learning rate <paramref name="lr"/>.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>.</exception>
    public static Optimizer Create(string name, IEnumerable<Tensor> parameters, double lr) => name switch
    {
        "sgd" => new SGD(parameters, lr),
        "adam" => new Adam(parameters, lr),
        "adamw" => new AdamW(parameters, lr),
        "adagrad" => new Adagrad(parameters, lr),
        "rmsprop" => new RMSprop(parameters, lr),
        "adadelta" => new Adadelta(parameters, lr),
        _ => throw new ArgumentException($"Unknown optimizer '{name}'. Optimizers: {string.Join(", ", Names)}.", nameof(name)),
    };
}
