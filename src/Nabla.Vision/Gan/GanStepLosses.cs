namespace Nabla.Vision.Gan;

/// <summary>The losses of one <see cref="GanTrainer.Step"/>.</summary>
/// <param name="DiscriminatorLoss">The discriminator's (critic's) loss of this step; for WGAN-GP with the penalty.</param>
/// <param name="GeneratorLoss">The generator's loss, or null when the generator did not step (WGAN-GP between its steps).</param>
/// <param name="Wasserstein">WGAN-GP's estimate of the Wasserstein distance, mean critic(real) − mean critic(fake); null for the other kinds.</param>
public sealed record GanStepLosses(double DiscriminatorLoss, double? GeneratorLoss, double? Wasserstein);
