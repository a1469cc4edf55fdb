namespace Nabla.Optim;

/// <summary>
/// RMSprop (<c>torch.optim.RMSprop</c>; Hinton's lecture 6e). For each parameter θ with gradient g
/// (PyTorch 1.13's algorithm):
/// <code>
/// g ← −g                            if maximize
/// g ← g + λθ                        if weight_decay λ ≠ 0
/// v ← αv + (1 − α)g²                (state "square_avg")
/// if centered:
///     ḡ ← αḡ + (1 − α)g             (state "grad_avg")
///     d ← √(v − ḡ²) + ε
/// else:
///     d ← √v + ε
/// if momentum μ &gt; 0:
///     b ← μb + g / d                (state "momentum_buffer")
///     θ ← θ − γb
/// else:
///     θ ← θ − γ g / d               (γ = lr)
/// </code>
/// </summary>
public sealed class RMSprop : Optimizer
{
    /// <summary>RMSprop over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to optimize.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="alpha">Smoothing constant α of the running average of g².</param>
    /// <param name="eps">ε added to the denominator.</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient.</param>
    /// <param name="momentum">Momentum factor μ.</param>
    /// <param name="centered">Normalize by an estimate of the gradient's variance instead of its second moment.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
                   double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : this([new ParamGroup(parameters)], lr, alpha, eps, weightDecay, momentum, centered, maximize) { }

    /// <summary>RMSprop over several parameter groups; the arguments are the defaults for options a group does not set.</summary>
    public RMSprop(IEnumerable<ParamGroup> paramGroups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
                   double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(paramGroups, new Dictionary<string, object>
        {
            ["lr"] = lr,
            ["momentum"] = momentum,
            ["alpha"] = alpha,
            ["eps"] = eps,
            ["centered"] = centered,
            ["weight_decay"] = weightDecay,
            ["maximize"] = maximize,
        })
    { }

    /// <inheritdoc/>
    protected override void Validate(ParamGroup group)
    {
        CheckNonNegative(group, "lr", "lr");
        CheckNonNegative(group, "eps", "eps");
        CheckNonNegative(group, "momentum", "momentum");
        CheckNonNegative(group, "weight_decay", "weightDecay");
        CheckNonNegative(group, "alpha", "alpha");
    }

    /// <inheritdoc/>
    protected override void InitState(Tensor parameter, ParamGroup group, Dictionary<string, Tensor> state)
    {
        state["step"] = NewStepCounter();
        state["square_avg"] = Tensor.ZerosLike(parameter);
        if (group.GetDouble("momentum") > 0) state["momentum_buffer"] = Tensor.ZerosLike(parameter);
        if (group.GetBool("centered")) state["grad_avg"] = Tensor.ZerosLike(parameter);
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        double lr = group.Lr, alpha = group.GetDouble("alpha"), eps = group.GetDouble("eps");
        double weightDecay = group.GetDouble("weight_decay"), momentum = group.GetDouble("momentum");
        bool maximize = group.GetBool("maximize"), centered = group.GetBool("centered");
        IncrementStep(state);
        var squareAvg = state["square_avg"];
        // A group may gain momentum or centering later (a scheduler cycling momentum): create the buffers then.
        if (momentum > 0 && !state.ContainsKey("momentum_buffer")) state["momentum_buffer"] = Tensor.ZerosLike(parameter);
        if (centered && !state.ContainsKey("grad_avg")) state["grad_avg"] = Tensor.ZerosLike(parameter);
        var buffer = momentum > 0 ? state["momentum_buffer"] : null;
        var gradAvg = centered ? state["grad_avg"] : null;
        if (FusedUpdates.TryRMSprop(parameter, grad, squareAvg, gradAvg, buffer, lr, alpha, eps, momentum, weightDecay, maximize)) return;

        // The same update in tensor ops, for non-contiguous or mixed-dtype tensors.
        var g = maximize ? -grad : grad;
        if (weightDecay != 0) g = g.Add(parameter, weightDecay);    // g ← g + λθ
        squareAvg.Mul_(alpha).Addcmul_(g, g, 1 - alpha);            // v ← αv + (1 − α)g²
        Tensor avg;
        if (gradAvg is not null)
        {
            gradAvg.Mul_(alpha).Add_(g, 1 - alpha);                 // ḡ ← αḡ + (1 − α)g
            avg = (squareAvg - gradAvg * gradAvg).Sqrt();           // √(v − ḡ²)
        }
        else avg = squareAvg.Sqrt();                                // √v
        avg.Add_(eps);                                              // d ← … + ε
        if (buffer is not null)
        {
            buffer.Mul_(momentum).Addcdiv_(g, avg, 1);              // b ← μb + g/d
            parameter.Add_(buffer, -lr);                            // θ ← θ − γb
        }
        else parameter.Addcdiv_(g, avg, -lr);                       // θ ← θ − γ g/d
    }
}
