using System.Numerics;
using System.Runtime.CompilerServices;
using Nabla.Backends.Cpu;
using static Nabla.Optim.ParameterUpdate;

namespace Nabla.Optim;

/// <summary>
/// Adam (<c>torch.optim.Adam</c>; Kingma &amp; Ba, 2015). For each parameter θ with gradient g,
/// at step t = 1, 2, … (PyTorch 1.13's algorithm):
/// <code>
/// g ← −g                                  if maximize
/// g ← g + λθ                              if weight_decay λ ≠ 0 (L2 penalty; see AdamW for decoupled decay)
/// m ← β₁m + (1 − β₁)g                     (state "exp_avg")
/// v ← β₂v + (1 − β₂)g²                    (state "exp_avg_sq")
/// v̂max ← max(v̂max, v)                     if amsgrad (state "max_exp_avg_sq"); then v stands for v̂max below
/// denom ← √v / √(1 − β₂ᵗ) + ε
/// θ ← θ − (γ / (1 − β₁ᵗ)) · m / denom      (γ = lr)
/// </code>
/// </summary>
public class Adam : Optimizer
{
    readonly bool decoupledWeightDecay;

    /// <summary>Adam over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to optimize, e.g. <c>model.Parameters()</c>.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="betas">Decay rates (β₁, β₂) of the running averages of g and g²; default (0.9, 0.999).</param>
    /// <param name="eps">ε added to the denominator for numerical stability.</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient.</param>
    /// <param name="amsgrad">Use the AMSGrad variant (the maximum of past second moments).</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
                double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : this([new ParamGroup(parameters)], lr, betas, eps, weightDecay, amsgrad, maximize) { }

    /// <summary>Adam over several parameter groups; the arguments are the defaults for options a group does not set.</summary>
    public Adam(IEnumerable<ParamGroup> paramGroups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
                double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : this(paramGroups, lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay: false) { }

    /// <summary>For <see cref="AdamW"/>: the same algorithm with decoupled weight decay.</summary>
    private protected Adam(IEnumerable<ParamGroup> paramGroups, double lr, (double, double)? betas, double eps,
                           double weightDecay, bool amsgrad, bool maximize, bool decoupledWeightDecay)
        : base(paramGroups, new Dictionary<string, object>
        {
            ["lr"] = lr,
            ["betas"] = betas ?? (0.9, 0.999),
            ["eps"] = eps,
            ["weight_decay"] = weightDecay,
            ["amsgrad"] = amsgrad,
            ["maximize"] = maximize,
        })
    {
        this.decoupledWeightDecay = decoupledWeightDecay;
    }

    /// <inheritdoc/>
    protected override void Validate(ParamGroup group)
    {
        CheckNonNegative(group, "lr", "lr");
        CheckNonNegative(group, "eps", "eps");
        var (beta1, beta2) = group.GetPair("betas");
        CheckUnitInterval("betas", beta1);
        CheckUnitInterval("betas", beta2);
        CheckNonNegative(group, "weight_decay", "weightDecay");
    }

    /// <inheritdoc/>
    protected override void InitState(Tensor parameter, ParamGroup group, Dictionary<string, Tensor> state)
    {
        state["step"] = NewStepCounter();
        state["exp_avg"] = Tensor.ZerosLike(parameter);
        state["exp_avg_sq"] = Tensor.ZerosLike(parameter);
        if (group.GetBool("amsgrad")) state["max_exp_avg_sq"] = Tensor.ZerosLike(parameter);
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamGroup group, Dictionary<string, Tensor> state)
    {
        double lr = group.Lr, eps = group.GetDouble("eps"), weightDecay = group.GetDouble("weight_decay");
        var (beta1, beta2) = group.GetPair("betas");
        bool maximize = group.GetBool("maximize"), amsgrad = group.GetBool("amsgrad");
        var expAvg = state["exp_avg"];
        var expAvgSq = state["exp_avg_sq"];
        double step = IncrementStep(state);
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
        double stepSize = lr / biasCorrection1;
        if (amsgrad && !state.ContainsKey("max_exp_avg_sq")) state["max_exp_avg_sq"] = Tensor.ZerosLike(parameter);
        var maxExpAvgSq = amsgrad ? state["max_exp_avg_sq"] : null;
        ParameterUpdate.Apply(parameter, grad, expAvg, expAvgSq, maxExpAvgSq, Make<float>, Make<double>);

        Rule<T> Make<T>() where T : unmanaged, IFloatingPointIeee754<T> => new(
            Beta1: Scalar<T>(beta1), OneMinusBeta1: Scalar<T>(1 - beta1),
            Beta2: Scalar<T>(beta2), OneMinusBeta2: Scalar<T>(1 - beta2),
            BiasCorrection2Sqrt: Scalar<T>(biasCorrection2Sqrt), Eps: Scalar<T>(eps),
            NegativeStepSize: Scalar<T>(-stepSize), WeightDecay: Scalar<T>(weightDecay),
            DecayFactor: Scalar<T>(1 - lr * weightDecay), Decoupled: decoupledWeightDecay,
            HasWeightDecay: weightDecay != 0, Amsgrad: maxExpAvgSq is not null, Maximize: maximize);
    }

    /// <summary>
    /// The update of the formula above, element by element (and AdamW's, <c>Decoupled</c>): a = m ("exp_avg"),
    /// b = v ("exp_avg_sq"), c = v̂max ("max_exp_avg_sq"). <c>NegativeStepSize</c> = −γ/(1 − β₁ᵗ),
    /// <c>BiasCorrection2Sqrt</c> = √(1 − β₂ᵗ), <c>DecayFactor</c> = 1 − γλ.
    /// </summary>
    internal readonly record struct Rule<T>(T Beta1, T OneMinusBeta1, T Beta2, T OneMinusBeta2, T BiasCorrection2Sqrt,
                                            T Eps, T NegativeStepSize, T WeightDecay, T DecayFactor,
                                            bool Decoupled, bool HasWeightDecay, bool Amsgrad, bool Maximize) : IVectorUpdate<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] // tiered compilation off (Nabla.Bench) would otherwise make one call per vector
        public void Apply(ref Vector<T> param, Vector<T> grad, ref Vector<T> expAvg, ref Vector<T> expAvgSq, ref Vector<T> maxExpAvgSq)
        {
            if (Decoupled) param *= new Vector<T>(DecayFactor);                                 // θ ← θ(1 − γλ)
            var g = OptimizerKernels.Gradient(grad, param, Maximize, !Decoupled && HasWeightDecay, new Vector<T>(WeightDecay));
            expAvg = expAvg * new Vector<T>(Beta1) + g * new Vector<T>(OneMinusBeta1);          // m ← β₁m + (1 − β₁)g
            expAvgSq = expAvgSq * new Vector<T>(Beta2) + g * g * new Vector<T>(OneMinusBeta2);  // v ← β₂v + (1 − β₂)g²
            var second = expAvgSq;
            if (Amsgrad) second = maxExpAvgSq = Vector.Max(maxExpAvgSq, expAvgSq);             // v̂max ← max(v̂max, v)
            var denom = Vector.SquareRoot(second) / new Vector<T>(BiasCorrection2Sqrt) + new Vector<T>(Eps); // √v / √(1 − β₂ᵗ) + ε
            param += expAvg / denom * new Vector<T>(NegativeStepSize);                          // θ ← θ − γ/(1 − β₁ᵗ) · m/denom
        }
    }
}
