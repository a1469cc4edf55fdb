using System.Numerics;
using System.Runtime.CompilerServices;
using Nabla.Backends.Cpu;
using static Nabla.Optim.ParameterUpdate;

namespace Nabla.Optim;

/// <summary>
/// Adagrad (<c>torch.optim.Adagrad</c>; Duchi et al., 2011). For each parameter θ with gradient g,
/// at step t = 1, 2, … (PyTorch 1.13's algorithm):
/// <code>
/// g ← −g                            if maximize
/// g ← g + λθ                        if weight_decay λ ≠ 0
/// γ̃ ← γ / (1 + (t − 1)η)            (γ = lr, η = lr_decay)
/// s ← s + g²                        (state "sum", starting at initial_accumulator_value)
/// θ ← θ − γ̃ · g / (√s + ε)
/// </code>
/// </summary>
public sealed class Adagrad : Optimizer
{
    /// <summary>Adagrad over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to optimize.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="lrDecay">Learning-rate decay η.</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient.</param>
    /// <param name="initialAccumulatorValue">Starting value of the sum of squared gradients.</param>
    /// <param name="eps">ε added to the denominator.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    public Adagrad(IEnumerable<Tensor> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
                   double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : this([new ParamGroup(parameters)], lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize) { }

    /// <summary>Adagrad over several parameter groups; the arguments are the defaults for options a group does not set.</summary>
    public Adagrad(IEnumerable<ParamGroup> paramGroups, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
                   double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : base(paramGroups, new Dictionary<string, object>
        {
            ["lr"] = lr,
            ["lr_decay"] = lrDecay,
            ["eps"] = eps,
            ["weight_decay"] = weightDecay,
            ["initial_accumulator_value"] = initialAccumulatorValue,
            ["maximize"] = maximize,
        })
    { }

    /// <inheritdoc/>
    protected override void Validate(ParamGroup group)
    {
        CheckNonNegative(group, "lr", "lr");
        CheckNonNegative(group, "lr_decay", "lrDecay");
        CheckNonNegative(group, "weight_decay", "weightDecay");
        CheckNonNegative(group, "initial_accumulator_value", "initialAccumulatorValue");
        CheckNonNegative(group, "eps", "eps");
    }

    /// <inheritdoc/>
    protected override void InitState(Tensor parameter, ParamGroup group, Dictionary<string, Tensor> state)
    {
        state["step"] = NewStepCounter();
        state["sum"] = Tensor.FullLike(parameter, group.GetDouble("initial_accumulator_value"));
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        double lr = group.Lr, lrDecay = group.GetDouble("lr_decay"), weightDecay = group.GetDouble("weight_decay");
        double eps = group.GetDouble("eps");
        bool maximize = group.GetBool("maximize");
        double step = IncrementStep(state);
        double clr = lr / (1 + (step - 1) * lrDecay);             // γ̃ ← γ / (1 + (t − 1)η)
        var sum = state["sum"];
        ParameterUpdate.Apply(parameter, grad, sum, null, null, Make<float>, Make<double>);

        Rule<T> Make<T>() where T : unmanaged, IFloatingPointIeee754<T> => new(
            NegativeClr: Scalar<T>(-clr), Eps: Scalar<T>(eps),
            WeightDecay: Scalar<T>(weightDecay), HasWeightDecay: weightDecay != 0, Maximize: maximize);
    }

    /// <summary>The update of the formula above, element by element: a = s ("sum"). <c>NegativeClr</c> = −γ̃.</summary>
    internal readonly record struct Rule<T>(T NegativeClr, T Eps, T WeightDecay, bool HasWeightDecay, bool Maximize) : IVectorUpdate<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] // tiered compilation off (Nabla.Bench) would otherwise make one call per vector
        public void Apply(ref Vector<T> param, Vector<T> grad, ref Vector<T> sum, ref Vector<T> b, ref Vector<T> c)
        {
            var g = OptimizerKernels.Gradient(grad, param, Maximize, HasWeightDecay, new Vector<T>(WeightDecay));
            sum += g * g;                                                       // s ← s + g²
            var std = Vector.SquareRoot(sum) + new Vector<T>(Eps);             // √s + ε
            param += g / std * new Vector<T>(NegativeClr);                     // θ ← θ − γ̃ g/(√s + ε)
        }
    }
}
