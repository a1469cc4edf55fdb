// The schedulers live in namespace Nabla.Optim; see LRScheduler.cs.
namespace Nabla.Optim;

/// <summary>
/// Runs schedulers one after another, switching at the given milestones
/// (<c>torch.optim.lr_scheduler.SequentialLR</c>), e.g. a <see cref="LinearLR"/> warm-up followed
/// by <see cref="CosineAnnealingLR"/>. At milestone k the next scheduler restarts from epoch 0
/// (in its closed form where it has one), exactly as in PyTorch.
/// </summary>
public sealed class SequentialLR : LRScheduler
{
    readonly LRScheduler[] schedulers;
    readonly int[] milestones;

    /// <summary>Chains <paramref name="schedulers"/> (all on <paramref name="optimizer"/>), switching at <paramref name="milestones"/>.</summary>
    /// <param name="optimizer">The optimizer the schedulers share.</param>
    /// <param name="schedulers">The schedulers, in order of use.</param>
    /// <param name="milestones">Epochs at which to switch to the next scheduler (one fewer than schedulers).</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; −1 to start.</param>
    public SequentialLR(Optimizer optimizer, IReadOnlyList<LRScheduler> schedulers, IReadOnlyList<int> milestones, int lastEpoch = -1)
        : base(optimizer)
    {
        for (int i = 0; i < schedulers.Count; i++)
            if (!ReferenceEquals(schedulers[i].Optimizer, optimizer))
                throw new ArgumentException($"SequentialLR: expects all schedulers to belong to the same optimizer, but the scheduler at index {i} has a different one.", nameof(schedulers));
        if (milestones.Count != schedulers.Count - 1)
            throw new ArgumentException($"SequentialLR: expects one more scheduler than milestones, got {schedulers.Count} schedulers and {milestones.Count} milestones.", nameof(milestones));
        this.schedulers = [.. schedulers];
        this.milestones = [.. milestones];
        LastEpoch = lastEpoch + 1;
        // PyTorch's set-up: back to the initial rates, rewind every scheduler by one and replay the first one's initial step.
        foreach (var group in optimizer.ParamGroups) group.Lr = group.GetDouble("initial_lr");
        foreach (var scheduler in this.schedulers) scheduler.LastEpoch--;
        this.schedulers[0].InitialStep();
        SetLastLr(this.schedulers[0].GetLastLr());
    }

    /// <summary>The chained schedulers.</summary>
    public IReadOnlyList<LRScheduler> Schedulers => schedulers;

    /// <inheritdoc/>
    public override void Step()
    {
        LastEpoch++;
        int index = milestones.Count(m => m <= LastEpoch);                // bisect_right
        var scheduler = schedulers[index];
        if (index > 0 && milestones[index - 1] == LastEpoch) scheduler.StepTo(0);
        else scheduler.Step();
        SetLastLr(scheduler.GetLastLr());
    }

    /// <inheritdoc/>
    protected override double[] GetLr() => GroupLrs();

    /// <inheritdoc/>
    public override Dictionary<string, string> StateDict()
    {
        var state = new Dictionary<string, string>
        {
            ["last_epoch"] = StateValues.Encode(LastEpoch),
            ["_milestones"] = StateValues.Encode(milestones),
            ["_last_lr"] = StateValues.Encode(GetLastLr()),
        };
        for (int i = 0; i < schedulers.Length; i++)
            foreach (var (key, value) in schedulers[i].StateDict()) state[$"_schedulers.{i}.{key}"] = value;
        return state;
    }

    /// <inheritdoc/>
    public override void LoadStateDict(IReadOnlyDictionary<string, string> state)
    {
        LastEpoch = StateValues.ReadInt(state, "last_epoch", Name);
        SetLastLr(StateValues.ReadDoubles(state, "_last_lr", Name));
        for (int i = 0; i < schedulers.Length; i++)
        {
            string prefix = $"_schedulers.{i}.";
            var inner = state.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                             .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
            schedulers[i].LoadStateDict(inner);
        }
    }
}
