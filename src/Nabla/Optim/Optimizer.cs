using System.Globalization;

namespace Nabla.Optim;

/// <summary>
/// Base class of all optimizers (<c>torch.optim.Optimizer</c>). Holds parameter groups, each
/// with its own hyper-parameters, and per-parameter state (momentum buffers, running averages,
/// step counts). <see cref="Step()"/> updates every parameter that has a gradient, in place and
/// without recording autograd history; parameters whose <see cref="Tensor.Grad"/> is null are
/// skipped and their state is left untouched.
/// </summary>
/// <example><code>
/// var optimizer = new Adam(model.Parameters(), lr: 1e-3);
/// for (int step = 0; step &lt; steps; step++)
/// {
///     optimizer.ZeroGrad();
///     var loss = Functional.CrossEntropy(model.Call(x), y);
///     loss.Backward();
///     optimizer.Step();
/// }
/// </code></example>
/// <remarks>
/// A subclass declares its defaults, validates a group's hyper-parameters in
/// <see cref="Validate"/>, creates a parameter's state in <see cref="InitState"/> and writes one
/// parameter's update in <see cref="Update"/>. Each built-in optimizer writes its update once, as an
/// element-wise rule beside its formula, and runs it over the parameter and its state in one vectorized
/// pass; a non-contiguous tensor goes through a contiguous copy, so results do not depend on the layout.
/// Per-parameter step counts are zero-dimensional Float32 tensors (<c>state["step"]</c>), as in
/// PyTorch 1.13, so a state dict holds tensors only.
/// </remarks>
public abstract class Optimizer
{
    readonly List<ParamGroup> paramGroups = [];
    readonly Dictionary<Tensor, Dictionary<string, Tensor>> state = new(ReferenceEqualityComparer.Instance);
    readonly Dictionary<string, object> defaults;

    /// <summary>Sets up the groups, filling each group's missing hyper-parameters from <paramref name="defaults"/>.</summary>
    protected Optimizer(IEnumerable<ParamGroup> paramGroups, IReadOnlyDictionary<string, object> defaults)
    {
        this.defaults = new(defaults);
        var groups = paramGroups.ToList();
        if (groups.Count == 0 || groups.All(g => g.Params.Count == 0))
            throw new ArgumentException($"{Name}: got an empty parameter list.", nameof(paramGroups));
        foreach (var group in groups) AddParamGroup(group);
    }

    /// <summary>The optimizer's name in messages (its class name).</summary>
    protected string Name => GetType().Name;

    /// <summary>The default hyper-parameters given to the constructor (<c>optimizer.defaults</c>).</summary>
    public IReadOnlyDictionary<string, object> Defaults => defaults;

    /// <summary>The parameter groups (<c>optimizer.param_groups</c>).</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => paramGroups;

    /// <summary>Per-parameter state by parameter (<c>optimizer.state</c>); empty for a parameter until its first update.</summary>
    public IReadOnlyDictionary<Tensor, Dictionary<string, Tensor>> State => state;

    /// <summary>
    /// Adds a group of parameters (<c>add_param_group</c>), e.g. layers unfrozen during fine-tuning.
    /// Missing hyper-parameters come from <see cref="Defaults"/>; a parameter may belong to one group only.
    /// </summary>
    public void AddParamGroup(ParamGroup group)
    {
        foreach (var p in group.Params)
        {
            if (!p.IsLeaf) throw new ArgumentException($"{Name}: can't optimize a non-leaf tensor (produced by {p.GradFn!.Name}); optimize the leaf it was computed from.");
            if (!p.DType.IsFloatingPoint()) throw new DTypeException($"{Name}: parameters must be floating-point, got a {p.DType} tensor of shape {p.Shape}.");
        }
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var p in paramGroups.SelectMany(g => g.Params)) seen.Add(p);
        foreach (var p in group.Params)
            if (!seen.Add(p)) throw new ArgumentException($"{Name}: some parameters appear in more than one parameter group (shape {p.Shape}).");
        foreach (var (name, value) in defaults) group.SetDefault(name, value);
        Validate(group);
        paramGroups.Add(group);
    }

    /// <summary>
    /// Clears the gradients of all parameters (<c>zero_grad</c>). By default sets them to null, like
    /// PyTorch's <c>set_to_none=True</c>: the next backward allocates fresh ones and the next step
    /// skips parameters that received none. With <paramref name="setToNone"/> false, fills them with zeros.
    /// </summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in paramGroups.SelectMany(g => g.Params))
        {
            if (p.PrivateGrad is not { } grad) continue;
            if (setToNone) p.ClearGrad(); // a gradient nobody has read goes back to the buffer pool
            else grad.Detach_().Zero_();
        }
    }

    /// <summary>Performs one optimization step: updates every parameter that has a gradient, in place, under <see cref="Autograd.NoGrad"/>.</summary>
    public void Step()
    {
        bool builtIn = GetType().Assembly == typeof(Optimizer).Assembly;
        using (Autograd.NoGrad())
        {
            foreach (var group in paramGroups)
                foreach (var p in group.Params)
                {
                    // Nabla's own optimizers keep no reference to the gradient; a subclass might, so it gets the public one.
                    if ((builtIn ? p.PrivateGrad : p.Grad) is not Tensor grad) continue;
                    if (!grad.Shape.Equals(p.Shape))
                        throw new ShapeException($"{Name}.Step: a parameter of shape {p.Shape} has a gradient of shape {grad.Shape}.");
                    if (!state.TryGetValue(p, out var parameterState))
                    {
                        state[p] = parameterState = [];
                        InitState(p, group, parameterState);
                    }
                    Update(p, grad, group, parameterState);
                }
        }
    }

    /// <summary>
    /// Re-evaluates the loss with <paramref name="closure"/> (which should clear the gradients, compute
    /// the loss and call backward), then performs a step; returns the loss (<c>step(closure)</c>).
    /// </summary>
    public Tensor Step(Func<Tensor> closure)
    {
        Tensor loss;
        using (Autograd.EnableGrad()) loss = closure();
        Step();
        return loss;
    }

    /// <summary>Checks a group's hyper-parameters; throws an <see cref="ArgumentException"/> naming the optimizer and the argument.</summary>
    protected abstract void Validate(ParamGroup group);

    /// <summary>Creates the state of <paramref name="parameter"/> before its first update (buffers of zeros, step counters).</summary>
    protected abstract void InitState(Tensor parameter, ParamGroup group, Dictionary<string, Tensor> state);

    /// <summary>Updates one parameter in place from its gradient. Runs under <see cref="Autograd.NoGrad"/>.</summary>
    protected abstract void Update(Tensor parameter, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state);

    // ---------------------------------------------------------------- helpers for subclasses

    /// <summary>Throws unless the hyper-parameter <paramref name="name"/> of <paramref name="group"/> is ≥ 0 (the check PyTorch makes on lr, eps, weight_decay …); the message names <paramref name="argument"/>.</summary>
    protected void CheckNonNegative(ParamGroup group, string name, string argument)
    {
        double value = group.GetDouble(name);
        if (!(value >= 0)) throw new ArgumentOutOfRangeException(argument, value, $"{Name}: invalid {argument} {Format(value)}; it must be ≥ 0.");
    }

    /// <summary>Throws unless 0 ≤ <paramref name="value"/> &lt; 1 (a decay rate such as β or ρ); <paramref name="inclusiveUpper"/> allows 1.</summary>
    protected void CheckUnitInterval(string argument, double value, bool inclusiveUpper = false)
    {
        bool ok = value >= 0 && (inclusiveUpper ? value <= 1 : value < 1);
        if (!ok) throw new ArgumentOutOfRangeException(argument, value, $"{Name}: invalid {argument} {Format(value)}; it must be in [0, 1{(inclusiveUpper ? "]" : ")")}.");
    }

    /// <summary>A zero-dimensional Float32 step counter, as PyTorch 1.13 keeps <c>state["step"]</c>.</summary>
    protected static Tensor NewStepCounter() => Tensor.Zeros(ReadOnlySpan<int>.Empty);

    /// <summary>Increments the step counter in <paramref name="state"/> and returns the new count.</summary>
    protected static double IncrementStep(Dictionary<string, Tensor> state)
    {
        var step = state["step"];
        step.Add_(1.0);
        return step.Item();
    }

    static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- state dict

    /// <summary>
    /// The optimizer's state (<c>state_dict()</c>): copies of the per-parameter state tensors and the
    /// groups' hyper-parameters; see <see cref="OptimizerStateDict"/> for the layout.
    /// </summary>
    public OptimizerStateDict StateDict()
    {
        var result = new OptimizerStateDict();
        int index = 0;
        for (int g = 0; g < paramGroups.Count; g++)
        {
            var group = paramGroups[g];
            var indices = new int[group.Params.Count];
            for (int i = 0; i < indices.Length; i++, index++)
            {
                indices[i] = index;
                if (!state.TryGetValue(group.Params[i], out var parameterState)) continue;
                foreach (var (name, tensor) in parameterState)
                    result.Tensors[$"state.{index}.{name}"] = tensor.Detach().Clone();
            }
            foreach (var (name, value) in group.Options)
                result.Values[$"param_groups.{g}.{name}"] = StateValues.Encode(value);
            result.Values[$"param_groups.{g}.params"] = StateValues.Encode(indices);
        }
        return result;
    }

    /// <summary>
    /// Restores state saved by <see cref="StateDict"/> (<c>load_state_dict</c>). The optimizer must
    /// have the same number of groups with the same number of parameters; saved parameters map to
    /// this optimizer's parameters by position. Hyper-parameters are replaced by the saved ones, and
    /// state tensors are copied (floating-point ones converted to the parameter's dtype, except
    /// <c>step</c>).
    /// </summary>
    public void LoadStateDict(OptimizerStateDict stateDict)
    {
        var savedGroups = new SortedDictionary<int, Dictionary<string, string>>();
        foreach (var (key, json) in stateDict.Values)
        {
            var parts = key.Split('.', 3);
            if (parts.Length != 3 || parts[0] != "param_groups" || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out int g))
                throw new FormatException($"{Name}.LoadStateDict: unexpected key '{key}' (expected param_groups.{{group}}.{{name}}).");
            if (!savedGroups.TryGetValue(g, out var options)) savedGroups[g] = options = [];
            options[parts[2]] = json;
        }
        if (savedGroups.Count != paramGroups.Count || savedGroups.Keys.Last() != paramGroups.Count - 1)
            throw new ArgumentException($"{Name}.LoadStateDict: the state dict has {savedGroups.Count} parameter groups but the optimizer has {paramGroups.Count}.");

        // Map the saved parameter indices onto this optimizer's parameters, group by group.
        var byIndex = new Dictionary<int, Tensor>();
        for (int g = 0; g < paramGroups.Count; g++)
        {
            var saved = savedGroups[g];
            if (!saved.TryGetValue("params", out var paramsJson))
                throw new ArgumentException($"{Name}.LoadStateDict: param_groups.{g}.params is missing.");
            var indices = (int[])StateValues.Decode(paramsJson, Array.Empty<int>())!;
            var group = paramGroups[g];
            if (indices.Length != group.Params.Count)
                throw new ArgumentException($"{Name}.LoadStateDict: parameter group {g} has {indices.Length} parameters in the state dict but {group.Params.Count} in the optimizer.");
            for (int i = 0; i < indices.Length; i++) byIndex[indices[i]] = group.Params[i];
        }

        var newState = new Dictionary<Tensor, Dictionary<string, Tensor>>(ReferenceEqualityComparer.Instance);
        foreach (var (key, tensor) in stateDict.Tensors)
        {
            var parts = key.Split('.', 3);
            if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out int index))
                throw new FormatException($"{Name}.LoadStateDict: unexpected tensor key '{key}' (expected state.{{index}}.{{name}}).");
            if (!byIndex.TryGetValue(index, out var parameter))
                throw new ArgumentException($"{Name}.LoadStateDict: '{key}' refers to parameter {index}, which no parameter group lists.");
            string name = parts[2];
            bool convert = name != "step" && tensor.DType.IsFloatingPoint() && tensor.DType != parameter.DType;
            if (name != "step" && !tensor.Shape.Equals(parameter.Shape))
                throw new ShapeException($"{Name}.LoadStateDict: '{key}' has shape {tensor.Shape} but parameter {index} has shape {parameter.Shape}.");
            var copy = (convert ? tensor.Detach().To(parameter.DType) : tensor.Detach()).Clone();
            if (!newState.TryGetValue(parameter, out var parameterState)) newState[parameter] = parameterState = [];
            parameterState[name] = copy;
        }

        for (int g = 0; g < paramGroups.Count; g++)
            foreach (var (name, json) in savedGroups[g])
            {
                if (name == "params") continue;
                var group = paramGroups[g];
                group[name] = StateValues.Decode(json, group.Contains(name) ? group[name] : null)
                    ?? throw new FormatException($"{Name}.LoadStateDict: param_groups.{g}.{name} is null.");
            }
        state.Clear();
        foreach (var (parameter, parameterState) in newState) state[parameter] = parameterState;
    }
}
