using Nabla.NN;

namespace Nabla.Cli;

/// <summary>A model the <c>nabla</c> command knows, with the course's training recipe for it.</summary>
/// <param name="Name">The name on the command line (<c>lenet</c>).</param>
/// <param name="Description">One line for <c>--help</c> and the run's header.</param>
/// <param name="LearningRate">The course's SGD learning rate for this model.</param>
/// <param name="Epochs">The course's number of epochs.</param>
/// <param name="BatchSize">The course's batch size.</param>
/// <param name="Create">Builds a freshly initialised model of the given width multiplier, drawing from
/// <see cref="Generator.Default"/>; models without a width multiplier ignore it.</param>
public sealed record ModelSpec(string Name, string Description, double LearningRate, int Epochs, int BatchSize, Func<double, Module<Tensor, Tensor>> Create)
{
    /// <summary>The side of the square images the model is trained on; Fashion-MNIST's 28×28 are resized to it.</summary>
    public int InputSize { get; init; } = 28;

    /// <summary>The smallest input side the architecture accepts (its pools and strides need that much).</summary>
    public int MinInputSize { get; init; } = 28;

    /// <summary>The default width multiplier, or null when the model has none (the course's small models).</summary>
    public double? DefaultWidth { get; init; }

    /// <summary>Whether <c>--width</c> applies to this model.</summary>
    public bool HasWidth => DefaultWidth is not null;

    /// <summary>Builds the model at <paramref name="width"/> (default: <see cref="DefaultWidth"/>).</summary>
    public Module<Tensor, Tensor> Build(double? width = null) => Create(width ?? DefaultWidth ?? 1.0);

    /// <summary>The input shape of one batch of <paramref name="batch"/> images at <paramref name="size"/> px (default: <see cref="InputSize"/>).</summary>
    public int[] InputShape(int batch = 1, int? size = null) => [batch, 1, size ?? InputSize, size ?? InputSize];
}
