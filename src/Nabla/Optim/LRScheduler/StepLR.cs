// The schedulers live in namespace Nabla.Optim; see LRScheduler.cs.
namespace Nabla.Optim;

/// <summary>
/// Multiplies each group's learning rate by γ every <c>stepSize</c> epochs
/// (<c>torch.optim.lr_scheduler.StepLR</c>): ηₜ = η₀ · γ^⌊t / stepSize⌋, computed recursively
/// (ηₜ = γηₜ₋₁ when t is a positive multiple of stepSize) as PyTorch does.
/// </summary>
public sealed class StepLR : LRScheduler
{
    /// <summary>Decays by <paramref name="gamma"/> every <paramref name="stepSize"/> epochs.</summary>
    /// <param name="optimizer">The optimizer whose rates are scheduled.</param>
    /// <param name="stepSize">Period of the decay, in epochs (&gt; 0).</param>
    /// <param name="gamma">Multiplicative factor γ.</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; −1 to start.</param>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1, int lastEpoch = -1) : base(optimizer)
    {
        if (stepSize <= 0) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, $"StepLR: stepSize must be positive, got {stepSize}.");
        StepSize = stepSize;
        Gamma = gamma;
        Initialize(lastEpoch);
    }

    /// <summary>Period of the decay, in epochs.</summary>
    public int StepSize { get; private set; }

    /// <summary>Multiplicative factor γ.</summary>
    public double Gamma { get; private set; }

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        var lrs = GroupLrs();
        if (LastEpoch == 0 || LastEpoch % StepSize != 0) return lrs;
        return [.. lrs.Select(lr => lr * Gamma)];                          // η ← γη
    }

    /// <inheritdoc/>
    protected override double[]? GetClosedFormLr() =>
        [.. BaseLrs.Select(b => b * Math.Pow(Gamma, LastEpoch / StepSize))]; // η₀ γ^⌊t/s⌋ (t ≥ 0)

    /// <inheritdoc/>
    protected override void SaveSettings(Dictionary<string, string> state)
    {
        state["step_size"] = StateValues.Encode(StepSize);
        state["gamma"] = StateValues.Encode(Gamma);
    }

    /// <inheritdoc/>
    protected override void LoadSettings(IReadOnlyDictionary<string, string> state)
    {
        StepSize = StateValues.ReadInt(state, "step_size", Name);
        Gamma = StateValues.ReadDouble(state, "gamma", Name);
    }
}
