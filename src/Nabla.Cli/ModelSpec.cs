using Nabla.NN;

namespace Nabla.Cli;

/// <summary>A model the <c>nabla</c> command knows, with the course's training recipe for it.</summary>
/// <param name="Name">The name on the command line (<c>lenet</c>).</param>
/// <param name="Description">One line for <c>--help</c> and the run's header.</param>
/// <param name="LearningRate">The course's SGD learning rate for this model.</param>
/// <param name="Epochs">The course's number of epochs.</param>
/// <param name="BatchSize">The course's batch size.</param>
/// <param name="Build">Builds a freshly initialised model, drawing from <see cref="Generator.Default"/>.</param>
public sealed record ModelSpec(string Name, string Description, double LearningRate, int Epochs, int BatchSize, Func<Sequential> Build);
