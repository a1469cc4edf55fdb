// The schedulers live in namespace Nabla.Optim; see LRScheduler.cs.
namespace Nabla.Optim;

/// <summary>
/// Multiplies each group's learning rate by γ when the epoch reaches one of the milestones
/// (<c>torch.optim.lr_scheduler.MultiStepLR</c>): ηₜ = η₀ · γ^(number of milestones ≤ t).
/// A milestone listed k times multiplies by γᵏ, as in PyTorch.
/// </summary>
public sealed class MultiStepLR : LRScheduler
{
    int[] milestones;

    /// <summary>Decays by <paramref name="gamma"/> at each of <paramref name="milestones"/>.</summary>
    /// <param name="optimizer">The optimizer whose rates are scheduled.</param>
    /// <param name="milestones">Epoch indices, increasing.</param>
    /// <param name="gamma">Multiplicative factor γ.</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; −1 to start.</param>
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1, int lastEpoch = -1) : base(optimizer)
    {
        this.milestones = [.. milestones.Order()];
        Gamma = gamma;
        Initialize(lastEpoch);
    }

    /// <summary>The milestones, sorted (repeated ones appear repeatedly).</summary>
    public IReadOnlyList<int> Milestones => milestones;

    /// <summary>Multiplicative factor γ.</summary>
    public double Gamma { get; private set; }

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        var lrs = GroupLrs();
        int count = milestones.Count(m => m == LastEpoch);
        if (count == 0) return lrs;
        return [.. lrs.Select(lr => lr * Math.Pow(Gamma, count))];        // η ← γᵏη
    }

    /// <inheritdoc/>
    protected override double[]? GetClosedFormLr()
    {
        int passed = milestones.Count(m => m <= LastEpoch);               // bisect_right
        return [.. BaseLrs.Select(b => b * Math.Pow(Gamma, passed))];
    }

    /// <inheritdoc/>
    protected override void SaveSettings(Dictionary<string, string> state)
    {
        state["milestones"] = StateValues.Encode(milestones);
        state["gamma"] = StateValues.Encode(Gamma);
    }

    /// <inheritdoc/>
    protected override void LoadSettings(IReadOnlyDictionary<string, string> state)
    {
        milestones = StateValues.ReadInts(state, "milestones", Name);
        Gamma = StateValues.ReadDouble(state, "gamma", Name);
    }
}
