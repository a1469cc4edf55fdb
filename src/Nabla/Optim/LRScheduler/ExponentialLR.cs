// The schedulers live in namespace Nabla.Optim; see LRScheduler.cs.
namespace Nabla.Optim;

/// <summary>
/// Multiplies each group's learning rate by γ every epoch
/// (<c>torch.optim.lr_scheduler.ExponentialLR</c>): ηₜ = γηₜ₋₁, so ηₜ = η₀γᵗ.
/// </summary>
public sealed class ExponentialLR : LRScheduler
{
    /// <summary>Decays by <paramref name="gamma"/> every epoch.</summary>
    /// <param name="optimizer">The optimizer whose rates are scheduled.</param>
    /// <param name="gamma">Multiplicative factor γ.</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; −1 to start.</param>
    public ExponentialLR(Optimizer optimizer, double gamma, int lastEpoch = -1) : base(optimizer)
    {
        Gamma = gamma;
        Initialize(lastEpoch);
    }

    /// <summary>Multiplicative factor γ.</summary>
    public double Gamma { get; private set; }

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        var lrs = GroupLrs();
        return LastEpoch == 0 ? lrs : [.. lrs.Select(lr => lr * Gamma)];   // η ← γη
    }

    /// <inheritdoc/>
    protected override double[]? GetClosedFormLr() => [.. BaseLrs.Select(b => b * Math.Pow(Gamma, LastEpoch))];

    /// <inheritdoc/>
    protected override void SaveSettings(Dictionary<string, string> state) => state["gamma"] = StateValues.Encode(Gamma);

    /// <inheritdoc/>
    protected override void LoadSettings(IReadOnlyDictionary<string, string> state) => Gamma = StateValues.ReadDouble(state, "gamma", Name);
}
