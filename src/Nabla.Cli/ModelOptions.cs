namespace Nabla.Cli;

/// <summary>How to build a model of the catalog.</summary>
/// <param name="Width">Width multiplier of the zoo's CNNs (ignored by the course's small models).</param>
/// <param name="NumClasses">Number of outputs: 10 for Fashion-MNIST, fewer under <c>--classes</c>.</param>
/// <param name="AuxLogits">GoogLeNet's auxiliary classifiers (<c>--aux</c>); ignored by the other models.</param>
public sealed record ModelOptions(double Width = 1.0, int NumClasses = 10, bool AuxLogits = false);
