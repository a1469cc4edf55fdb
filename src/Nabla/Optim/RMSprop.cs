using System.Numerics;
using System.Runtime.CompilerServices;
using Nabla.Backends.Cpu;
using static Nabla.Optim.ParameterUpdate;

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
        ParameterUpdate.Apply(parameter, grad, squareAvg, gradAvg, buffer, Make<float>, Make<double>);

        Rule<T> Make<T>() where T : unmanaged, IFloatingPointIeee754<T> => new(
            NegativeLr: Scalar<T>(-lr), Alpha: Scalar<T>(alpha),
            OneMinusAlpha: Scalar<T>(1 - alpha), Eps: Scalar<T>(eps),
            Momentum: Scalar<T>(momentum), WeightDecay: Scalar<T>(weightDecay),
            Centered: gradAvg is not null, HasMomentum: buffer is not null, HasWeightDecay: weightDecay != 0, Maximize: maximize);
    }

    /// <summary>
    /// The update of the formula above, element by element: a = v ("square_avg"), b = ḡ ("grad_avg", when
    /// centered), c = b ("momentum_buffer", with momentum). <c>NegativeLr</c> = −γ.
    /// </summary>
    internal readonly record struct Rule<T>(T NegativeLr, T Alpha, T OneMinusAlpha, T Eps, T Momentum, T WeightDecay,
                                            bool Centered, bool HasMomentum, bool HasWeightDecay, bool Maximize) : IVectorUpdate<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] // tiered compilation off (Nabla.Bench) would otherwise make one call per vector
        public void Apply(ref Vector<T> param, Vector<T> grad, ref Vector<T> squareAvg, ref Vector<T> gradAvg, ref Vector<T> buffer)
        {
            var g = OptimizerKernels.Gradient(grad, param, Maximize, HasWeightDecay, new Vector<T>(WeightDecay));
            var alpha = new Vector<T>(Alpha);
            var oneMinusAlpha = new Vector<T>(OneMinusAlpha);
            squareAvg = squareAvg * alpha + g * g * oneMinusAlpha;             // v ← αv + (1 − α)g²
            Vector<T> avg;
            if (Centered)
            {
                gradAvg = gradAvg * alpha + g * oneMinusAlpha;                 // ḡ ← αḡ + (1 − α)g
                avg = Vector.SquareRoot(squareAvg - gradAvg * gradAvg);        // √(v − ḡ²)
            }
            else avg = Vector.SquareRoot(squareAvg);                           // √v
            avg += new Vector<T>(Eps);                                         // d ← … + ε
            if (HasMomentum)
            {
                buffer = buffer * new Vector<T>(Momentum) + g / avg;           // b ← μb + g/d
                param += buffer * new Vector<T>(NegativeLr);                   // θ ← θ − γb
            }
            else param += g / avg * new Vector<T>(NegativeLr);                 // θ ← θ − γ g/d
        }
    }
}
