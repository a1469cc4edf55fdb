using Nabla.Vision.Models;

namespace Nabla.Cli;

/// <summary>The models <c>nabla train</c> can train, by name, with the course's defaults.</summary>
public static class ModelCatalog
{
    /// <summary>All models, in the order of the course's chapters.</summary>
    public static IReadOnlyList<ModelSpec> All { get; } =
    [
        new("softmax", "softmax regression: Flatten, Linear(784, 10)", 0.1, 10, 256, () => SoftmaxRegression.Create()),
        new("mlp", "MLP 784-256-10 with ReLU, Xavier init", 0.1, 10, 256, () => Mlp.Create()),
        new("mlp-dropout", "MLP 784-256-256-10 with ReLU and dropout 0.2 / 0.5", 0.5, 10, 256, () => Mlp.CreateWithDropout()),
        new("lenet", "LeNet-5: sigmoid + average pooling, Xavier init", 0.9, 10, 256, () => LeNet.Create()),
        new("lenet-bn", "LeNet-5 with batch normalisation after each conv/linear layer", 1.0, 10, 256, () => LeNet.CreateBatchNorm()),
    ];

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
}
