using System.Numerics;
using System.Runtime.CompilerServices;
using Nabla.Backends.Cpu;
using static Nabla.Optim.ParameterUpdate;

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
        var buffer = momentum != 0 ? momentumBuffer : null;
        ParameterUpdate.Apply(parameter, grad, buffer, null, null, Make<float>, Make<double>);

        Rule<T> Make<T>() where T : unmanaged, IFloatingPointIeee754<T> => new(
            NegativeLr: Scalar<T>(-lr), Momentum: Scalar<T>(momentum),
            OneMinusDampening: Scalar<T>(1 - dampening), WeightDecay: Scalar<T>(weightDecay),
            HasMomentum: buffer is not null, FirstStep: firstStep, Nesterov: nesterov, Maximize: maximize, HasWeightDecay: weightDecay != 0);
    }

    /// <summary>The update of the formula above, element by element: a = b ("momentum_buffer"). <c>NegativeLr</c> = −γ.</summary>
    internal readonly record struct Rule<T>(T NegativeLr, T Momentum, T OneMinusDampening, T WeightDecay,
                                            bool HasMomentum, bool FirstStep, bool Nesterov, bool Maximize, bool HasWeightDecay) : IVectorUpdate<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] // tiered compilation off (Nabla.Bench) would otherwise make one call per vector
        public void Apply(ref Vector<T> param, Vector<T> grad, ref Vector<T> buffer, ref Vector<T> b, ref Vector<T> c)
        {
            var d = OptimizerKernels.Gradient(grad, param, Maximize, HasWeightDecay, new Vector<T>(WeightDecay));
            if (HasMomentum)
            {
                var momentum = new Vector<T>(Momentum);
                buffer = FirstStep ? d : buffer * momentum + d * new Vector<T>(OneMinusDampening); // b ← g, then b ← μb + (1 − τ)g
                d = Nesterov ? d + buffer * momentum : buffer;                                       // g ← g + μb, or g ← b
            }
            param += d * new Vector<T>(NegativeLr);                                                  // θ ← θ − γg
        }
    }
}
