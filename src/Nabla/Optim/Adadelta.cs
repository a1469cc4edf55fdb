using System.Numerics;
using System.Runtime.CompilerServices;
using Nabla.Backends.Cpu;
using static Nabla.Optim.ParameterUpdate;

namespace Nabla.Optim;

/// <summary>
/// Adadelta (<c>torch.optim.Adadelta</c>; Zeiler, 2012). For each parameter θ with gradient g
/// (PyTorch 1.13's algorithm):
/// <code>
/// g ← −g                                  if maximize
/// g ← g + λθ                              if weight_decay λ ≠ 0
/// v ← ρv + (1 − ρ)g²                      (state "square_avg")
/// Δ ← √(u + ε) / √(v + ε) · g             (u: state "acc_delta")
/// u ← ρu + (1 − ρ)Δ²
/// θ ← θ − γΔ                              (γ = lr, default 1)
/// </code>
/// </summary>
public sealed class Adadelta : Optimizer
{
    /// <summary>Adadelta over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to optimize.</param>
    /// <param name="lr">Coefficient γ that scales Δ before it is applied.</param>
    /// <param name="rho">Decay rate ρ of the running averages.</param>
    /// <param name="eps">ε added inside the square roots.</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    public Adadelta(IEnumerable<Tensor> parameters, double lr = 1.0, double rho = 0.9, double eps = 1e-6,
                    double weightDecay = 0, bool maximize = false)
        : this([new ParamGroup(parameters)], lr, rho, eps, weightDecay, maximize) { }

    /// <summary>Adadelta over several parameter groups; the arguments are the defaults for options a group does not set.</summary>
    public Adadelta(IEnumerable<ParamGroup> paramGroups, double lr = 1.0, double rho = 0.9, double eps = 1e-6,
                    double weightDecay = 0, bool maximize = false)
        : base(paramGroups, new Dictionary<string, object>
        {
            ["lr"] = lr,
            ["rho"] = rho,
            ["eps"] = eps,
            ["weight_decay"] = weightDecay,
            ["maximize"] = maximize,
        })
    { }

    /// <inheritdoc/>
    protected override void Validate(ParamGroup group)
    {
        CheckNonNegative(group, "lr", "lr");
        CheckUnitInterval("rho", group.GetDouble("rho"), inclusiveUpper: true);
        CheckNonNegative(group, "eps", "eps");
        CheckNonNegative(group, "weight_decay", "weightDecay");
    }

    /// <inheritdoc/>
    protected override void InitState(Tensor parameter, ParamGroup group, Dictionary<string, Tensor> state)
    {
        state["step"] = NewStepCounter();
        state["square_avg"] = Tensor.ZerosLike(parameter);
        state["acc_delta"] = Tensor.ZerosLike(parameter);
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        double lr = group.Lr, rho = group.GetDouble("rho"), eps = group.GetDouble("eps");
        double weightDecay = group.GetDouble("weight_decay");
        bool maximize = group.GetBool("maximize");
        IncrementStep(state);
        var squareAvg = state["square_avg"];
        var accDelta = state["acc_delta"];
        ParameterUpdate.Apply(parameter, grad, squareAvg, accDelta, null, Make<float>, Make<double>);

        Rule<T> Make<T>() where T : unmanaged, IFloatingPointIeee754<T> => new(
            NegativeLr: Scalar<T>(-lr), Rho: Scalar<T>(rho), OneMinusRho: Scalar<T>(1 - rho),
            Eps: Scalar<T>(eps), WeightDecay: Scalar<T>(weightDecay),
            HasWeightDecay: weightDecay != 0, Maximize: maximize);
    }

    /// <summary>The update of the formula above, element by element: a = v ("square_avg"), b = u ("acc_delta"). <c>NegativeLr</c> = −γ.</summary>
    internal readonly record struct Rule<T>(T NegativeLr, T Rho, T OneMinusRho, T Eps, T WeightDecay, bool HasWeightDecay, bool Maximize) : IVectorUpdate<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] // tiered compilation off (Nabla.Bench) would otherwise make one call per vector
        public void Apply(ref Vector<T> param, Vector<T> grad, ref Vector<T> squareAvg, ref Vector<T> accDelta, ref Vector<T> c)
        {
            var g = OptimizerKernels.Gradient(grad, param, Maximize, HasWeightDecay, new Vector<T>(WeightDecay));
            var rho = new Vector<T>(Rho);
            var oneMinusRho = new Vector<T>(OneMinusRho);
            var eps = new Vector<T>(Eps);
            squareAvg = squareAvg * rho + g * g * oneMinusRho;                 // v ← ρv + (1 − ρ)g²
            var std = Vector.SquareRoot(squareAvg + eps);                      // √(v + ε)
            var delta = Vector.SquareRoot(accDelta + eps) / std * g;           // Δ ← √(u + ε)/√(v + ε) · g
            accDelta = accDelta * rho + delta * delta * oneMinusRho;           // u ← ρu + (1 − ρ)Δ²
            param += delta * new Vector<T>(NegativeLr);                        // θ ← θ − γΔ
        }
    }
}
