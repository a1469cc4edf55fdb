// The schedulers keep namespace Nabla.Optim, where code written after PyTorch's torch.optim.lr_scheduler looks
// for them (and a namespace LRScheduler would clash with the class): the folder only groups them apart from the optimizers.
namespace Nabla.Optim;

/// <summary>
/// Base class of learning-rate schedulers (<c>torch.optim.lr_scheduler.LRScheduler</c>). A scheduler
/// rewrites <c>group["lr"]</c> of every parameter group of its optimizer each time
/// <see cref="Step"/> is called — once per epoch, or once per batch for <see cref="OneCycleLR"/>,
/// after <c>optimizer.Step()</c>. Like PyTorch's, most schedulers are chainable: they compute the
/// new rate from the group's current one, so the values match PyTorch's step by step.
/// </summary>
/// <remarks>
/// On construction the scheduler stores each group's starting rate as <c>group["initial_lr"]</c>
/// (<see cref="BaseLrs"/>) and performs its first step (epoch 0). To resume, pass
/// <c>lastEpoch</c> ≥ 0 to a new scheduler over an optimizer whose groups already have
/// <c>initial_lr</c>, or restore <see cref="StateDict"/> with <see cref="LoadStateDict"/>.
/// </remarks>
public abstract class LRScheduler
{
    double[] baseLrs = [];
    double[] lastLr = [];

    /// <summary>Attaches to <paramref name="optimizer"/>; the subclass calls <see cref="Initialize"/> once its own fields are set.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
    }

    /// <summary>The optimizer whose learning rates this scheduler sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The index of the last step taken (<c>last_epoch</c>): 0 right after construction.</summary>
    public int LastEpoch { get; protected internal set; }

    /// <summary>How many times <see cref="Step"/> ran, counting the one in the constructor (<c>_step_count</c>).</summary>
    protected int StepCount { get; private set; }

    /// <summary>Each group's starting learning rate (<c>base_lrs</c>, from <c>group["initial_lr"]</c>).</summary>
    public IReadOnlyList<double> BaseLrs => baseLrs;

    /// <summary>The scheduler's name in messages (its class name).</summary>
    protected string Name => GetType().Name;

    /// <summary>
    /// Records the groups' base rates and takes the first step. With <paramref name="lastEpoch"/> = −1
    /// each group's current lr becomes its <c>initial_lr</c> (unless it already has one); otherwise
    /// the groups must already have <c>initial_lr</c> (resuming).
    /// </summary>
    protected void Initialize(int lastEpoch)
    {
        var groups = Optimizer.ParamGroups;
        for (int i = 0; i < groups.Count; i++)
        {
            if (lastEpoch == -1) groups[i].SetDefault("initial_lr", groups[i].Lr);
            else if (!groups[i].Contains("initial_lr"))
                throw new ArgumentException($"{Name}: param 'initial_lr' is not specified in param_groups[{i}] when resuming an optimizer (lastEpoch = {lastEpoch}).", nameof(lastEpoch));
        }
        baseLrs = [.. groups.Select(g => g.GetDouble("initial_lr"))];
        LastEpoch = lastEpoch;
        InitialStep();
    }

    /// <summary>Resets the step count and takes the constructor's step (<c>_initial_step</c>).</summary>
    internal void InitialStep()
    {
        StepCount = 0;
        Step();
    }

    /// <summary>Advances the schedule by one epoch (or batch) and writes the new rates into the optimizer's groups.</summary>
    public virtual void Step()
    {
        StepCount++;
        LastEpoch++;
        Apply(GetLr());
    }

    /// <summary>PyTorch's deprecated <c>step(epoch)</c>, used by <see cref="SequentialLR"/>: jumps to <paramref name="epoch"/>, using the closed form where the scheduler has one.</summary>
    internal void StepTo(int epoch)
    {
        StepCount++;
        LastEpoch = epoch;
        Apply(GetClosedFormLr() ?? GetLr());
    }

    /// <summary>The rates computed by the last <see cref="Step"/>, one per group (<c>get_last_lr()</c>).</summary>
    public double[] GetLastLr() => (double[])lastLr.Clone();

    /// <summary>The new rate of each group at <see cref="LastEpoch"/> (chainable form: may read the groups' current rates).</summary>
    protected abstract double[] GetLr();

    /// <summary>The rate of each group at <see cref="LastEpoch"/> computed from <see cref="BaseLrs"/> alone, or null when the schedule has no closed form.</summary>
    protected virtual double[]? GetClosedFormLr() => null;

    /// <summary>The current rate of each group.</summary>
    protected double[] GroupLrs() => [.. Optimizer.ParamGroups.Select(g => g.Lr)];

    /// <summary>Writes <paramref name="lrs"/> into the groups and remembers them for <see cref="GetLastLr"/>.</summary>
    protected void Apply(double[] lrs)
    {
        var groups = Optimizer.ParamGroups;
        for (int i = 0; i < groups.Count; i++) groups[i].Lr = lrs[i];
        lastLr = GroupLrs();
    }

    /// <summary>Sets the rates returned by <see cref="GetLastLr"/> without touching the groups.</summary>
    private protected void SetLastLr(double[] lrs) => lastLr = (double[])lrs.Clone();

    // ---------------------------------------------------------------- state dict

    /// <summary>
    /// The scheduler's state (<c>state_dict()</c>) as PyTorch names it — <c>base_lrs</c>,
    /// <c>last_epoch</c>, <c>_step_count</c>, <c>_last_lr</c> and the scheduler's own settings
    /// (<c>gamma</c>, <c>T_max</c> …) — each value a JSON literal, ready for a checkpoint.
    /// </summary>
    public virtual Dictionary<string, string> StateDict()
    {
        var state = new Dictionary<string, string>
        {
            ["base_lrs"] = StateValues.Encode(baseLrs),
            ["last_epoch"] = StateValues.Encode(LastEpoch),
            ["_step_count"] = StateValues.Encode(StepCount),
            ["_last_lr"] = StateValues.Encode(lastLr),
        };
        SaveSettings(state);
        return state;
    }

    /// <summary>Restores state saved by <see cref="StateDict"/> (<c>load_state_dict</c>); the optimizer's groups are not changed.</summary>
    public virtual void LoadStateDict(IReadOnlyDictionary<string, string> state)
    {
        baseLrs = StateValues.ReadDoubles(state, "base_lrs", Name);
        LastEpoch = StateValues.ReadInt(state, "last_epoch", Name);
        StepCount = StateValues.ReadInt(state, "_step_count", Name);
        lastLr = StateValues.ReadDoubles(state, "_last_lr", Name);
        LoadSettings(state);
    }

    /// <summary>Adds the scheduler's own settings to a state dict.</summary>
    protected virtual void SaveSettings(Dictionary<string, string> state) { }

    /// <summary>Reads the scheduler's own settings from a state dict.</summary>
    protected virtual void LoadSettings(IReadOnlyDictionary<string, string> state) { }
}
