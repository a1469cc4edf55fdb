// The schedulers live in namespace Nabla.Optim; see LRScheduler.cs.
namespace Nabla.Optim;

/// <summary>
/// Reduces each group's learning rate by <c>factor</c> when a metric has stopped improving for more
/// than <c>patience</c> epochs (<c>torch.optim.lr_scheduler.ReduceLROnPlateau</c>). Call
/// <see cref="Step(double)"/> with the validation metric after each epoch. A value a is an
/// improvement on the best b when (mode, thresholdMode) is
/// <code>
/// (min, rel): a &lt; b(1 − threshold)     (min, abs): a &lt; b − threshold
/// (max, rel): a &gt; b(1 + threshold)     (max, abs): a &gt; b + threshold
/// </code>
/// After more than <c>patience</c> epochs without improvement, η ← max(η·factor, min_lr) (skipped when
/// the change is at most <c>eps</c>), then <c>cooldown</c> epochs pass before bad epochs count again.
/// Unlike the other schedulers it does not derive from <see cref="LRScheduler"/>: its step needs the metric.
/// </summary>
public sealed class ReduceLROnPlateau
{
    double[] minLrs;
    double[] lastLr;

    /// <summary>Watches a metric and reduces the rates of <paramref name="optimizer"/> on plateaus.</summary>
    /// <param name="optimizer">The optimizer whose rates are reduced.</param>
    /// <param name="mode">"min" when lower is better (a loss), "max" when higher is (an accuracy).</param>
    /// <param name="factor">Factor by which the rate is reduced, &lt; 1.</param>
    /// <param name="patience">Number of epochs without improvement tolerated before reducing.</param>
    /// <param name="threshold">Minimum change that counts as an improvement.</param>
    /// <param name="thresholdMode">"rel" (relative to the best) or "abs".</param>
    /// <param name="cooldown">Epochs to wait after a reduction before counting bad epochs again.</param>
    /// <param name="minLr">Lower bound of the rate, for all groups.</param>
    /// <param name="eps">Reductions smaller than this are skipped.</param>
    public ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10, double threshold = 1e-4,
                             string thresholdMode = "rel", int cooldown = 0, double minLr = 0, double eps = 1e-8)
        : this(optimizer, [.. Enumerable.Repeat(minLr, optimizer.ParamGroups.Count)], mode, factor, patience, threshold, thresholdMode, cooldown, eps) { }

    /// <summary>As the other constructor, with one lower bound per group in <paramref name="minLrs"/>.</summary>
    public ReduceLROnPlateau(Optimizer optimizer, IReadOnlyList<double> minLrs, string mode = "min", double factor = 0.1, int patience = 10,
                             double threshold = 1e-4, string thresholdMode = "rel", int cooldown = 0, double eps = 1e-8)
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        if (!(factor < 1)) throw new ArgumentOutOfRangeException(nameof(factor), factor, $"ReduceLROnPlateau: factor should be < 1.0, got {factor}.");
        if (minLrs.Count != optimizer.ParamGroups.Count)
            throw new ArgumentException($"ReduceLROnPlateau: expected {optimizer.ParamGroups.Count} minLrs (one per group), got {minLrs.Count}.", nameof(minLrs));
        if (mode is not ("min" or "max")) throw new ArgumentException($"ReduceLROnPlateau: mode must be \"min\" or \"max\", got \"{mode}\".", nameof(mode));
        if (thresholdMode is not ("rel" or "abs"))
            throw new ArgumentException($"ReduceLROnPlateau: thresholdMode must be \"rel\" or \"abs\", got \"{thresholdMode}\".", nameof(thresholdMode));
        this.minLrs = [.. minLrs];
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        ThresholdMode = thresholdMode;
        Cooldown = cooldown;
        Eps = eps;
        Best = mode == "min" ? double.PositiveInfinity : double.NegativeInfinity;
        lastLr = [.. optimizer.ParamGroups.Select(g => g.Lr)];
    }

    /// <summary>The optimizer whose rates are reduced.</summary>
    public Optimizer Optimizer { get; }
    /// <summary>"min" or "max".</summary>
    public string Mode { get; private set; }
    /// <summary>Reduction factor.</summary>
    public double Factor { get; private set; }
    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; private set; }
    /// <summary>Minimum change that counts as an improvement.</summary>
    public double Threshold { get; private set; }
    /// <summary>"rel" or "abs".</summary>
    public string ThresholdMode { get; private set; }
    /// <summary>Epochs to wait after a reduction.</summary>
    public int Cooldown { get; private set; }
    /// <summary>Smallest reduction applied.</summary>
    public double Eps { get; private set; }
    /// <summary>The best metric seen so far.</summary>
    public double Best { get; private set; }
    /// <summary>Consecutive epochs without improvement.</summary>
    public int NumBadEpochs { get; private set; }
    /// <summary>Epochs of cooldown left.</summary>
    public int CooldownCounter { get; private set; }
    /// <summary>Number of steps taken.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Records the metric of one epoch and reduces the rates if it has plateaued.</summary>
    public void Step(double metric)
    {
        LastEpoch++;
        if (IsBetter(metric, Best))
        {
            Best = metric;
            NumBadEpochs = 0;
        }
        else NumBadEpochs++;
        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            NumBadEpochs = 0;
        }
        if (NumBadEpochs > Patience)
        {
            var groups = Optimizer.ParamGroups;
            for (int i = 0; i < groups.Count; i++)
            {
                double oldLr = groups[i].Lr, newLr = Math.Max(oldLr * Factor, minLrs[i]);  // η ← max(η·factor, min_lr)
                if (oldLr - newLr > Eps) groups[i].Lr = newLr;
            }
            CooldownCounter = Cooldown;
            NumBadEpochs = 0;
        }
        lastLr = [.. Optimizer.ParamGroups.Select(g => g.Lr)];
    }

    /// <summary>Records a metric given as a one-element tensor (a loss, say).</summary>
    public void Step(Tensor metric) => Step(metric.Item());

    /// <summary>The rates after the last <see cref="Step(double)"/>, one per group.</summary>
    public double[] GetLastLr() => (double[])lastLr.Clone();

    bool IsBetter(double a, double best) => (Mode, ThresholdMode) switch
    {
        ("min", "rel") => a < best * (1.0 - Threshold),
        ("min", _) => a < best - Threshold,
        (_, "rel") => a > best * (Threshold + 1.0),
        _ => a > best + Threshold,
    };

    /// <summary>The scheduler's state with PyTorch's names, each value a JSON literal.</summary>
    public Dictionary<string, string> StateDict() => new()
    {
        ["factor"] = StateValues.Encode(Factor),
        ["min_lrs"] = StateValues.Encode(minLrs),
        ["patience"] = StateValues.Encode(Patience),
        ["cooldown"] = StateValues.Encode(Cooldown),
        ["cooldown_counter"] = StateValues.Encode(CooldownCounter),
        ["mode"] = StateValues.Encode(Mode),
        ["threshold"] = StateValues.Encode(Threshold),
        ["threshold_mode"] = StateValues.Encode(ThresholdMode),
        ["best"] = StateValues.Encode(Best),
        ["num_bad_epochs"] = StateValues.Encode(NumBadEpochs),
        ["eps"] = StateValues.Encode(Eps),
        ["last_epoch"] = StateValues.Encode(LastEpoch),
        ["_last_lr"] = StateValues.Encode(lastLr),
    };

    /// <summary>Restores state saved by <see cref="StateDict"/>.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, string> state)
    {
        const string name = nameof(ReduceLROnPlateau);
        Factor = StateValues.ReadDouble(state, "factor", name);
        minLrs = StateValues.ReadDoubles(state, "min_lrs", name);
        Patience = StateValues.ReadInt(state, "patience", name);
        Cooldown = StateValues.ReadInt(state, "cooldown", name);
        CooldownCounter = StateValues.ReadInt(state, "cooldown_counter", name);
        Mode = StateValues.ReadString(state, "mode", name);
        Threshold = StateValues.ReadDouble(state, "threshold", name);
        ThresholdMode = StateValues.ReadString(state, "threshold_mode", name);
        Best = StateValues.ReadDouble(state, "best", name);
        NumBadEpochs = StateValues.ReadInt(state, "num_bad_epochs", name);
        Eps = StateValues.ReadDouble(state, "eps", name);
        LastEpoch = StateValues.ReadInt(state, "last_epoch", name);
        lastLr = StateValues.ReadDoubles(state, "_last_lr", name);
    }
}
