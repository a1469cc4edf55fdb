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
    public static Optimizer Create(string name, IEnumerable<Tensor> parameters, double lr) => Create(name, [new ParamGroup(parameters)], lr);

    /// <summary>The optimizer <paramref name="name"/> over parameter groups; <paramref name="lr"/> is the rate of groups that set none.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>.</exception>
    public static Optimizer Create(string name, IEnumerable<ParamGroup> groups, double lr) => name switch
    {
        "sgd" => new SGD(groups, lr),
        "adam" => new Adam(groups, lr),
        "adamw" => new AdamW(groups, lr),
        "adagrad" => new Adagrad(groups, lr),
        "rmsprop" => new RMSprop(groups, lr),
        "adadelta" => new Adadelta(groups, lr),
        _ => throw new ArgumentException($"Unknown optimizer '{name}'. Optimizers: {string.Join(", ", Names)}.", nameof(name)),
    };
}
