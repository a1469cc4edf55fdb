// The schedulers live in namespace Nabla.Optim; see LRScheduler.cs.
namespace Nabla.Optim;

/// <summary>
/// The 1cycle policy (<c>torch.optim.lr_scheduler.OneCycleLR</c>; Smith &amp; Topin, 2017), stepped
/// after every batch. The rate rises from η_init = max_lr / divFactor to max_lr over the first
/// <c>pctStart</c> of the <c>totalSteps</c>, then falls to η_min = η_init / finalDivFactor; with
/// <c>threePhase</c> it first falls back to η_init symmetrically, then to η_min. Momentum (or
/// Adam's β₁) is cycled inversely between <c>maxMomentum</c> and <c>baseMomentum</c>.
/// Within a phase from a to b, at fraction p of it:
/// <code>
/// cos:    b + (a − b)/2 · (1 + cos(πp))
/// linear: a + (b − a)·p
/// </code>
/// Phase ends (steps): pctStart·totalSteps − 1, [2·pctStart·totalSteps − 2,] totalSteps − 1.
/// The groups gain the entries initial_lr, max_lr, min_lr (and max_momentum, base_momentum).
/// </summary>
public sealed class OneCycleLR : LRScheduler
{
    readonly record struct Phase(double EndStep, string StartLr, string EndLr, string StartMomentum, string EndMomentum);

    readonly Phase[] phases;
    readonly bool useBeta1;

    /// <summary>One-cycle schedule with a single maximum rate for all groups.</summary>
    public OneCycleLR(Optimizer optimizer, double maxLr, int? totalSteps = null, int? epochs = null, int? stepsPerEpoch = null,
                      double pctStart = 0.3, string annealStrategy = "cos", bool cycleMomentum = true,
                      double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25.0,
                      double finalDivFactor = 1e4, bool threePhase = false, int lastEpoch = -1)
        : this(optimizer, [.. Enumerable.Repeat(maxLr, optimizer.ParamGroups.Count)], totalSteps, epochs, stepsPerEpoch,
               pctStart, annealStrategy, cycleMomentum, baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase, lastEpoch)
    { }

    /// <summary>One-cycle schedule.</summary>
    /// <param name="optimizer">The optimizer whose rates (and momentum) are scheduled.</param>
    /// <param name="maxLrs">Peak learning rate of each group.</param>
    /// <param name="totalSteps">Total number of steps of the cycle; or give <paramref name="epochs"/> and <paramref name="stepsPerEpoch"/>.</param>
    /// <param name="epochs">Number of epochs (with <paramref name="stepsPerEpoch"/>) when <paramref name="totalSteps"/> is not given.</param>
    /// <param name="stepsPerEpoch">Batches per epoch.</param>
    /// <param name="pctStart">Fraction of the cycle spent increasing the rate.</param>
    /// <param name="annealStrategy">"cos" or "linear".</param>
    /// <param name="cycleMomentum">Cycle momentum (SGD, RMSprop) or β₁ (Adam, AdamW) inversely to the rate.</param>
    /// <param name="baseMomentum">Lowest momentum, reached at the peak rate.</param>
    /// <param name="maxMomentum">Highest momentum, at the start and end.</param>
    /// <param name="divFactor">η_init = max_lr / divFactor.</param>
    /// <param name="finalDivFactor">η_min = η_init / finalDivFactor.</param>
    /// <param name="threePhase">Use the paper's three phases instead of fastai's two.</param>
    /// <param name="lastEpoch">Index of the last batch when resuming; −1 to start.</param>
    public OneCycleLR(Optimizer optimizer, IReadOnlyList<double> maxLrs, int? totalSteps = null, int? epochs = null, int? stepsPerEpoch = null,
                      double pctStart = 0.3, string annealStrategy = "cos", bool cycleMomentum = true,
                      double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25.0,
                      double finalDivFactor = 1e4, bool threePhase = false, int lastEpoch = -1)
        : base(optimizer)
    {
        var groups = optimizer.ParamGroups;
        if (totalSteps is int total)
        {
            if (total <= 0) throw new ArgumentOutOfRangeException(nameof(totalSteps), total, $"OneCycleLR: expected a positive totalSteps, got {total}.");
            TotalSteps = total;
        }
        else if (epochs is int e && stepsPerEpoch is int s)
        {
            if (e <= 0) throw new ArgumentOutOfRangeException(nameof(epochs), e, $"OneCycleLR: expected a positive number of epochs, got {e}.");
            if (s <= 0) throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), s, $"OneCycleLR: expected a positive stepsPerEpoch, got {s}.");
            TotalSteps = e * s;
        }
        else throw new ArgumentException("OneCycleLR: you must define either totalSteps OR (epochs AND stepsPerEpoch).", nameof(totalSteps));
        if (!(pctStart >= 0 && pctStart <= 1))
            throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, $"OneCycleLR: expected pctStart between 0 and 1, got {pctStart}.");
        if (annealStrategy is not ("cos" or "linear"))
            throw new ArgumentException($"OneCycleLR: annealStrategy must be \"cos\" or \"linear\", got \"{annealStrategy}\".", nameof(annealStrategy));
        if (maxLrs.Count != groups.Count)
            throw new ArgumentException($"OneCycleLR: expected {groups.Count} values for maxLrs (one per group), got {maxLrs.Count}.", nameof(maxLrs));
        AnnealStrategy = annealStrategy;
        CycleMomentum = cycleMomentum;
        ThreePhase = threePhase;
        phases = threePhase
            ? [
                new(pctStart * TotalSteps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                new(2 * pctStart * TotalSteps - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                new(TotalSteps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
            : [
                new(pctStart * TotalSteps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                new(TotalSteps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ];

        if (lastEpoch == -1)
            for (int i = 0; i < groups.Count; i++)
            {
                groups[i]["initial_lr"] = maxLrs[i] / divFactor;
                groups[i]["max_lr"] = maxLrs[i];
                groups[i]["min_lr"] = groups[i].GetDouble("initial_lr") / finalDivFactor;
            }
        if (cycleMomentum)
        {
            if (!optimizer.Defaults.ContainsKey("momentum") && !optimizer.Defaults.ContainsKey("betas"))
                throw new ArgumentException($"OneCycleLR: optimizer {optimizer.GetType().Name} has no momentum or betas; pass cycleMomentum: false.", nameof(cycleMomentum));
            useBeta1 = optimizer.Defaults.ContainsKey("betas");
            if (lastEpoch == -1)
                foreach (var group in groups)
                {
                    SetMomentum(group, maxMomentum);
                    group["max_momentum"] = maxMomentum;
                    group["base_momentum"] = baseMomentum;
                }
        }
        Initialize(lastEpoch);
    }

    /// <summary>Total number of steps of the cycle.</summary>
    public int TotalSteps { get; }

    /// <summary>"cos" or "linear".</summary>
    public string AnnealStrategy { get; }

    /// <summary>Whether momentum (or β₁) is cycled.</summary>
    public bool CycleMomentum { get; }

    /// <summary>Whether the schedule has three phases.</summary>
    public bool ThreePhase { get; }

    void SetMomentum(ParamGroup group, double momentum)
    {
        if (useBeta1) group["betas"] = (momentum, group.GetPair("betas").Item2);
        else group["momentum"] = momentum;
    }

    double Anneal(double start, double end, double pct) => AnnealStrategy == "cos"
        ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1)    // b + (a − b)/2 · (1 + cos πp)
        : (end - start) * pct + start;                                 // a + (b − a)p

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        int stepNumber = LastEpoch;
        if (stepNumber > TotalSteps)
            throw new InvalidOperationException($"OneCycleLR: tried to step {stepNumber + 1} times; the specified number of total steps is {TotalSteps}.");
        var groups = Optimizer.ParamGroups;
        var lrs = new double[groups.Count];
        for (int g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            double startStep = 0;
            for (int i = 0; i < phases.Length; i++)
            {
                var phase = phases[i];
                if (stepNumber <= phase.EndStep || i == phases.Length - 1)
                {
                    double pct = (stepNumber - startStep) / (phase.EndStep - startStep);
                    lrs[g] = Anneal(group.GetDouble(phase.StartLr), group.GetDouble(phase.EndLr), pct);
                    if (CycleMomentum) SetMomentum(group, Anneal(group.GetDouble(phase.StartMomentum), group.GetDouble(phase.EndMomentum), pct));
                    break;
                }
                startStep = phase.EndStep;
            }
        }
        return lrs;
    }

    /// <inheritdoc/>
    protected override void SaveSettings(Dictionary<string, string> state)
    {
        state["total_steps"] = StateValues.Encode(TotalSteps);
        state["anneal_strategy"] = StateValues.Encode(AnnealStrategy);
        state["cycle_momentum"] = StateValues.Encode(CycleMomentum);
        state["use_beta1"] = StateValues.Encode(useBeta1);
        state["three_phase"] = StateValues.Encode(ThreePhase);
    }
}
