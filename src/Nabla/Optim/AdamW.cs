namespace Nabla.Optim;

/// <summary>
/// Adam with decoupled weight decay (<c>torch.optim.AdamW</c>; Loshchilov &amp; Hutter, 2019).
/// The same update as <see cref="Adam"/>, except that weight decay shrinks the parameter
/// directly instead of being added to the gradient (so it is not rescaled by the adaptive
/// denominator). For each parameter θ with gradient g, at step t (PyTorch 1.13's algorithm):
/// <code>
/// g ← −g                                  if maximize
/// θ ← θ(1 − γλ)                           (γ = lr, λ = weight_decay, default 0.01)
/// m ← β₁m + (1 − β₁)g
/// v ← β₂v + (1 − β₂)g²
/// v̂max ← max(v̂max, v)                     if amsgrad; then v stands for v̂max below
/// θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>AdamW over <paramref name="parameters"/>; the arguments are those of <see cref="Adam"/>, with weight decay 0.01 by default.</summary>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
                 double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : this([new ParamGroup(parameters)], lr, betas, eps, weightDecay, amsgrad, maximize) { }

    /// <summary>AdamW over several parameter groups; the arguments are the defaults for options a group does not set.</summary>
    public AdamW(IEnumerable<ParamGroup> paramGroups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
                 double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(paramGroups, lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay: true) { }
}
