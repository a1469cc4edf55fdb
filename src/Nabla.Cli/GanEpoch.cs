namespace Nabla.Cli;

/// <summary>One finished epoch of <c>nabla train gan</c>.</summary>
/// <param name="Epoch">Its number, from 1.</param>
/// <param name="DiscriminatorLoss">Mean discriminator (critic) loss of its steps.</param>
/// <param name="GeneratorLoss">Mean generator loss of its generator steps.</param>
/// <param name="Wasserstein">WGAN-GP: the mean Wasserstein estimate; null for the other kinds.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
/// <param name="Images">Real images it went through.</param>
public sealed record GanEpoch(int Epoch, double DiscriminatorLoss, double GeneratorLoss, double? Wasserstein, double Seconds, int Images);
