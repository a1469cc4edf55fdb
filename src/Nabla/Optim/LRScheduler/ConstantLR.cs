// The schedulers live in namespace Nabla.Optim; see LRScheduler.cs.
namespace Nabla.Optim;

/// <summary>
/// Multiplies each group's learning rate by a constant factor until epoch <c>totalIters</c>, then
/// restores it (<c>torch.optim.lr_scheduler.ConstantLR</c>); a simple warm-up, often the first
/// scheduler of a <see cref="SequentialLR"/>. Closed form ηₜ = η₀·(factor if t &lt; T else 1);
/// computed recursively as PyTorch does (× factor at t = 0, ÷ factor at t = T).
/// </summary>
public sealed class ConstantLR : LRScheduler
{
    /// <summary>Scales the rate by <paramref name="factor"/> for the first <paramref name="totalIters"/> epochs.</summary>
    /// <param name="optimizer">The optimizer whose rates are scheduled.</param>
    /// <param name="factor">The factor, in (0, 1].</param>
    /// <param name="totalIters">Number of epochs T during which the factor applies.</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; −1 to start.</param>
    public ConstantLR(Optimizer optimizer, double factor = 1.0 / 3, int totalIters = 5, int lastEpoch = -1) : base(optimizer)
    {
        if (!(factor > 0 && factor <= 1))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"ConstantLR: factor must be in (0, 1], got {factor}.");
        if (totalIters < 0)
            throw new ArgumentOutOfRangeException(nameof(totalIters), totalIters, $"ConstantLR: totalIters must be non-negative, got {totalIters}.");
        Factor = factor;
        TotalIters = totalIters;
        Initialize(lastEpoch);
    }

    /// <summary>The factor applied before epoch <see cref="TotalIters"/>.</summary>
    public double Factor { get; private set; }

    /// <summary>Number of epochs during which the factor applies.</summary>
    public int TotalIters { get; private set; }

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        var lrs = GroupLrs();
        if (LastEpoch == 0) return [.. lrs.Select(lr => lr * Factor)];
        if (LastEpoch != TotalIters) return lrs;
        return [.. lrs.Select(lr => lr * (1.0 / Factor))];
    }

    /// <inheritdoc/>
    protected override double[]? GetClosedFormLr() =>
        [.. BaseLrs.Select(b => b * (Factor + (LastEpoch >= TotalIters ? 1 : 0) * (1 - Factor)))];

    /// <inheritdoc/>
    protected override void SaveSettings(Dictionary<string, string> state)
    {
        state["factor"] = StateValues.Encode(Factor);
        state["total_iters"] = StateValues.Encode(TotalIters);
    }

    /// <inheritdoc/>
    protected override void LoadSettings(IReadOnlyDictionary<string, string> state)
    {
        Factor = StateValues.ReadDouble(state, "factor", Name);
        TotalIters = StateValues.ReadInt(state, "total_iters", Name);
    }
}
