namespace Nabla.Optim;

/// <summary>
/// Stochastic gradient descent, optionally with momentum (<c>torch.optim.SGD</c>). For each
/// parameter θ with gradient g, at step t (PyTorch 1.13's algorithm):
/// <code>
/// g ← −g                            if maximize
/// g ← g + λθ                        if weight_decay λ ≠ 0
/// if momentum μ ≠ 0:
///     b ← g                         at the first step (state "momentum_buffer")
///     b ← μb + (1 − τ)g             afterwards (τ = dampening)
///     g ← g + μb                    if nesterov
///     g ← b                         otherwise
/// θ ← θ − γg                        (γ = lr)
/// </code>
/// </summary>
public sealed class SGD : Optimizer
{
    /// <summary>SGD over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to optimize, e.g. <c>model.Parameters()</c>.</param>
    /// <param name="lr">Learning rate γ (required, as in PyTorch).</param>
    /// <param name="momentum">Momentum factor μ (default 0: plain SGD).</param>
    /// <param name="dampening">Dampening τ for momentum.</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient.</param>
    /// <param name="nesterov">Nesterov momentum (needs momentum &gt; 0 and dampening 0).</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0,
               double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : this([new ParamGroup(parameters)], lr, momentum, dampening, weightDecay, nesterov, maximize) { }

    /// <summary>SGD over several parameter groups; the arguments are the defaults for options a group does not set.</summary>
    public SGD(IEnumerable<ParamGroup> paramGroups, double lr, double momentum = 0, double dampening = 0,
               double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(paramGroups, new Dictionary<string, object>
        {
            ["lr"] = lr,
            ["momentum"] = momentum,
            ["dampening"] = dampening,
            ["weight_decay"] = weightDecay,
            ["nesterov"] = nesterov,
            ["maximize"] = maximize,
        })
    { }

    /// <inheritdoc/>
    protected override void Validate(ParamGroup group)
    {
        CheckNonNegative(group, "lr", "lr");
        CheckNonNegative(group, "momentum", "momentum");
        CheckNonNegative(group, "weight_decay", "weightDecay");
        if (group.GetBool("nesterov") && (group.GetDouble("momentum") <= 0 || group.GetDouble("dampening") != 0))
            throw new ArgumentException($"{Name}: nesterov momentum requires a momentum > 0 and zero dampening.", "nesterov");
    }

    /// <inheritdoc/>
    protected override void InitState(Tensor parameter, ParamGroup group, Dictionary<string, Tensor> state) { }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        double lr = group.Lr, momentum = group.GetDouble("momentum"), dampening = group.GetDouble("dampening");
        double weightDecay = group.GetDouble("weight_decay");
        bool nesterov = group.GetBool("nesterov"), maximize = group.GetBool("maximize");
        bool firstStep = false;
        if (momentum != 0 && !state.ContainsKey("momentum_buffer"))
        {
            state["momentum_buffer"] = Tensor.ZerosLike(parameter);
            firstStep = true;
        }
        state.TryGetValue("momentum_buffer", out var momentumBuffer);
        if (FusedUpdates.TrySgd(parameter, grad, momentum != 0 ? momentumBuffer : null, firstStep, lr, momentum, dampening, weightDecay, nesterov, maximize))
            return;

        // The same update in tensor ops, for non-contiguous or mixed-dtype tensors.
        var d = maximize ? -grad : grad;
        if (weightDecay != 0) d = d.Add(parameter, weightDecay);       // g ← g + λθ
        if (momentum != 0)
        {
            var buffer = momentumBuffer!;
            if (firstStep) buffer.Copy_(d);                                   // b ← g
            else buffer.Mul_(momentum).Add_(d, 1 - dampening);                // b ← μb + (1 − τ)g
            d = nesterov ? d.Add(buffer, momentum) : buffer;                  // g ← g + μb, or g ← b
        }
        parameter.Add_(d, -lr);                                           // θ ← θ − γg
    }
}
