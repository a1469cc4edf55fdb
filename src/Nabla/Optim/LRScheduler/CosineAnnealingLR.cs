// The schedulers live in namespace Nabla.Optim; see LRScheduler.cs.
namespace Nabla.Optim;

/// <summary>
/// Cosine annealing (<c>torch.optim.lr_scheduler.CosineAnnealingLR</c>; SGDR, Loshchilov &amp;
/// Hutter 2017, without restarts): when it alone sets the rate,
/// ηₜ = η_min + ½(η₀ − η_min)(1 + cos(πt / T_max)). Like PyTorch it is computed recursively,
/// <code>
/// ηₜ = η_min + (1 + cos(πt/T)) / (1 + cos(π(t−1)/T)) · (ηₜ₋₁ − η_min)
/// ηₜ = ηₜ₋₁ + ½(η₀ − η_min)(1 − cos(π/T))           when (t − 1 − T) mod 2T = 0
/// </code>
/// so past T_max the rate climbs back up (a cosine of period 2T_max), exactly as PyTorch's does.
/// </summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    /// <summary>Anneals from each group's rate down to <paramref name="etaMin"/> over <paramref name="tMax"/> epochs.</summary>
    /// <param name="optimizer">The optimizer whose rates are scheduled.</param>
    /// <param name="tMax">Number of epochs T_max of the half period.</param>
    /// <param name="etaMin">Minimum rate η_min.</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; −1 to start.</param>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0, int lastEpoch = -1) : base(optimizer)
    {
        if (tMax <= 0) throw new ArgumentOutOfRangeException(nameof(tMax), tMax, $"CosineAnnealingLR: tMax must be positive, got {tMax}.");
        TMax = tMax;
        EtaMin = etaMin;
        Initialize(lastEpoch);
    }

    /// <summary>Half period T_max, in epochs.</summary>
    public int TMax { get; private set; }

    /// <summary>Minimum rate η_min.</summary>
    public double EtaMin { get; private set; }

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        var lrs = GroupLrs();
        int t = LastEpoch;
        if (t == 0) return lrs;
        if (StepCount == 1 && t > 0) return GetClosedFormLr()!;           // resumed at t: closed form once
        if ((t - 1 - TMax) % (2 * TMax) == 0)
            return [.. lrs.Select((lr, i) => lr + (BaseLrs[i] - EtaMin) * (1 - Math.Cos(Math.PI / TMax)) / 2)];
        return [.. lrs.Select(lr => (1 + Math.Cos(Math.PI * t / TMax)) / (1 + Math.Cos(Math.PI * (t - 1) / TMax)) * (lr - EtaMin) + EtaMin)];
    }

    /// <inheritdoc/>
    protected override double[]? GetClosedFormLr() =>
        [.. BaseLrs.Select(b => EtaMin + (b - EtaMin) * (1 + Math.Cos(Math.PI * LastEpoch / TMax)) / 2)];

    /// <inheritdoc/>
    protected override void SaveSettings(Dictionary<string, string> state)
    {
        state["T_max"] = StateValues.Encode(TMax);
        state["eta_min"] = StateValues.Encode(EtaMin);
    }

    /// <inheritdoc/>
    protected override void LoadSettings(IReadOnlyDictionary<string, string> state)
    {
        TMax = StateValues.ReadInt(state, "T_max", Name);
        EtaMin = StateValues.ReadDouble(state, "eta_min", Name);
    }
}
