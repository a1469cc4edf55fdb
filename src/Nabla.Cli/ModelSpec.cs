using Nabla.NN;

namespace Nabla.Cli;

/// <summary>A model the <c>nabla</c> command knows, with the course's training recipe for it.</summary>
/// <param name="Name">The name on the command line (<c>lenet</c>).</param>
/// <param name="Description">One line for <c>--help</c> and the run's header.</param>
/// <param name="LearningRate">The course's SGD learning rate for this model.</param>
/// <param name="Epochs">The course's number of epochs.</param>
/// <param name="BatchSize">The course's batch size.</param>
/// <param name="Create">Builds a freshly initialised model for the given options, drawing from
/// <see cref="Generator.Default"/>; models without a width multiplier ignore the width.</param>
public sealed record ModelSpec(string Name, string Description, double LearningRate, int Epochs, int BatchSize, Func<ModelOptions, Module<Tensor, Tensor>> Create)
{
    /// <summary>
    /// The default recipe on the embedded sample, where the course's (made for 60,000 images) would
    /// take a tenth of its steps and stop before the model learns; null: the course's recipe everywhere.
    /// </summary>
    public SampleRecipe? SampleRecipe { get; init; }

    /// <summary>The side of the square images the model is trained on; Fashion-MNIST's 28×28 are resized to it.</summary>
    public int InputSize { get; init; } = 28;

    /// <summary>The smallest input side the architecture accepts (its pools and strides need that much).</summary>
    public int MinInputSize { get; init; } = 28;

    /// <summary>The default width multiplier, or null when the model has none (the course's small models).</summary>
    public double? DefaultWidth { get; init; }

    /// <summary>Whether <c>--width</c> applies to this model.</summary>
    public bool HasWidth => DefaultWidth is not null;

    /// <summary>
    /// Module paths of the output layer, the part whose shape depends on the number of classes
    /// (<c>fc</c>, <c>classifier.6</c>, NiN's last block <c>net.7</c>): what fine-tuning re-initialises.
    /// </summary>
    public required IReadOnlyList<string> Head { get; init; }

    /// <summary>Top-level modules of the auxiliary classifiers (GoogLeNet's <c>aux1</c>, <c>aux2</c>); empty for models without.</summary>
    public IReadOnlyList<string> AuxHeads { get; init; } = [];

    /// <summary>Whether <c>--aux</c> applies to this model.</summary>
    public bool HasAuxLogits => AuxHeads.Count > 0;

    /// <summary>What fine-tuning re-initialises: the output layer and, with <paramref name="auxLogits"/>, the whole auxiliary classifiers.</summary>
    public IReadOnlyList<string> HeadModules(bool auxLogits) => auxLogits ? [.. Head, .. AuxHeads] : Head;

    /// <summary>Builds the model at <paramref name="width"/> (default: <see cref="DefaultWidth"/>) for <paramref name="numClasses"/> classes.</summary>
    public Module<Tensor, Tensor> Build(double? width = null, int numClasses = 10, bool auxLogits = false) =>
        Create(new ModelOptions(width ?? DefaultWidth ?? 1.0, numClasses, auxLogits));

    /// <summary>The input shape of one batch of <paramref name="batch"/> images at <paramref name="size"/> px (default: <see cref="InputSize"/>).</summary>
    public int[] InputShape(int batch = 1, int? size = null) => [batch, 1, size ?? InputSize, size ?? InputSize];
}
