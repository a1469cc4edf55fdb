namespace Nabla.Vision.Style;

/// <summary>
/// The weights and the optimiser of one neural style transfer. The defaults are d2l 14.12's: loss weights 1 (content),
/// 10⁴ (style) and 10 (total variation); Adam on the pixels with learning rate 0.3, multiplied by 0.8 every 50 steps; 500 steps.
/// </summary>
public sealed record StyleTransferOptions
{
    /// <summary>Weight of the content loss.</summary>
    public double ContentWeight { get; init; } = 1;

    /// <summary>Weight of the style loss (of each style layer's).</summary>
    public double StyleWeight { get; init; } = 1e4;

    /// <summary>Weight of the total-variation loss.</summary>
    public double TotalVariationWeight { get; init; } = 10;

    /// <summary>Adam's learning rate on the (normalised) pixels.</summary>
    public double LearningRate { get; init; } = 0.3;

    /// <summary>Optimisation steps.</summary>
    public int Steps { get; init; } = 500;

    /// <summary>The learning rate is multiplied by <see cref="LearningRateDecay"/> every this many steps (StepLR).</summary>
    public int LearningRateDecaySteps { get; init; } = 50;

    /// <summary>The factor of the learning-rate decay.</summary>
    public double LearningRateDecay { get; init; } = 0.8;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A negative weight, a learning rate or decay factor that is not positive, or fewer than 1 step or decay step.</exception>
    public void Validate()
    {
        if (ContentWeight < 0 || StyleWeight < 0 || TotalVariationWeight < 0)
        {
            throw new ArgumentException($"StyleTransferOptions: the weights must be 0 or more, got content {ContentWeight}, style {StyleWeight}, total variation {TotalVariationWeight}.");
        }
        if (!(LearningRate > 0) || !(LearningRateDecay > 0))
        {
            throw new ArgumentException($"StyleTransferOptions: the learning rate and its decay must be positive, got {LearningRate} and {LearningRateDecay}.");
        }
        if (Steps < 1 || LearningRateDecaySteps < 1)
        {
            throw new ArgumentException($"StyleTransferOptions: Steps and LearningRateDecaySteps must be at least 1, got {Steps} and {LearningRateDecaySteps}.");
        }
    }
}
