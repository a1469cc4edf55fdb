namespace Nabla.Cli;

/// <summary>Training stopped because the loss stopped being a finite number (see <see cref="Divergence"/>).</summary>
/// <param name="message">Where it diverged and what was kept.</param>
public sealed class TrainingDivergedException(string message) : Exception(message);
