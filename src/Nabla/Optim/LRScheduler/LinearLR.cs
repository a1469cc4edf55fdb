// The schedulers live in namespace Nabla.Optim; see LRScheduler.cs.
namespace Nabla.Optim;

/// <summary>
/// Changes each group's learning rate linearly from <c>startFactor</c>·η₀ to <c>endFactor</c>·η₀
/// over <c>totalIters</c> epochs, then keeps it (<c>torch.optim.lr_scheduler.LinearLR</c>); with
/// the default factors this is a linear warm-up. Closed form
/// ηₜ = η₀(s + (e − s)·min(t, T)/T); computed recursively as PyTorch does:
/// <code>
/// η₀' = s·η₀                                            at t = 0
/// ηₜ = ηₜ₋₁ · (1 + (e − s) / (T·s + (t − 1)(e − s)))    for 0 &lt; t ≤ T
/// </code>
/// </summary>
public sealed class LinearLR : LRScheduler
{
    /// <summary>Scales the rate by a factor moving linearly from <paramref name="startFactor"/> to <paramref name="endFactor"/>.</summary>
    /// <param name="optimizer">The optimizer whose rates are scheduled.</param>
    /// <param name="startFactor">Factor s at epoch 0, in (0, 1].</param>
    /// <param name="endFactor">Factor e reached at epoch <paramref name="totalIters"/>, in [0, 1].</param>
    /// <param name="totalIters">Number of epochs T over which the factor changes.</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; −1 to start.</param>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5, int lastEpoch = -1)
        : base(optimizer)
    {
        if (!(startFactor > 0 && startFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, $"LinearLR: startFactor must be in (0, 1], got {startFactor}.");
        if (!(endFactor >= 0 && endFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(endFactor), endFactor, $"LinearLR: endFactor must be in [0, 1], got {endFactor}.");
        if (totalIters <= 0)
            throw new ArgumentOutOfRangeException(nameof(totalIters), totalIters, $"LinearLR: totalIters must be positive, got {totalIters}.");
        StartFactor = startFactor;
        EndFactor = endFactor;
        TotalIters = totalIters;
        Initialize(lastEpoch);
    }

    /// <summary>Factor s at epoch 0.</summary>
    public double StartFactor { get; private set; }

    /// <summary>Factor e from epoch <see cref="TotalIters"/> on.</summary>
    public double EndFactor { get; private set; }

    /// <summary>Number of epochs T over which the factor changes.</summary>
    public int TotalIters { get; private set; }

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        var lrs = GroupLrs();
        if (LastEpoch == 0) return [.. lrs.Select(lr => lr * StartFactor)];
        if (LastEpoch > TotalIters) return lrs;
        double factor = 1.0 + (EndFactor - StartFactor) / (TotalIters * StartFactor + (LastEpoch - 1) * (EndFactor - StartFactor));
        return [.. lrs.Select(lr => lr * factor)];
    }

    /// <inheritdoc/>
    protected override double[]? GetClosedFormLr() =>
        [.. BaseLrs.Select(b => b * (StartFactor + (EndFactor - StartFactor) * Math.Min(TotalIters, LastEpoch) / TotalIters))];

    /// <inheritdoc/>
    protected override void SaveSettings(Dictionary<string, string> state)
    {
        state["start_factor"] = StateValues.Encode(StartFactor);
        state["end_factor"] = StateValues.Encode(EndFactor);
        state["total_iters"] = StateValues.Encode(TotalIters);
    }

    /// <inheritdoc/>
    protected override void LoadSettings(IReadOnlyDictionary<string, string> state)
    {
        StartFactor = StateValues.ReadDouble(state, "start_factor", Name);
        EndFactor = StateValues.ReadDouble(state, "end_factor", Name);
        TotalIters = StateValues.ReadInt(state, "total_iters", Name);
    }
}
