namespace Nabla.NN;

/// <summary>
/// Base of the loss modules (PyTorch's <c>_Loss</c>): a module of (input, target) with a
/// <see cref="Reduction"/>. Each loss computes through its <see cref="Functional"/> twin.
/// </summary>
public abstract class Loss : Module
{
    /// <summary>How per-element losses are combined: Mean (default), Sum or None.</summary>
    public Reduction Reduction { get; }

    /// <summary>Stores the reduction.</summary>
    protected Loss(Reduction reduction) => Reduction = reduction;

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>. Prefer <see cref="Call"/>, which also runs hooks.</summary>
    public abstract Tensor Forward(Tensor input, Tensor target);

    /// <summary>
    /// PyTorch's <c>criterion(input, target)</c>: runs the hooks around <see cref="Forward"/>;
    /// hooks see the pair as the tuple (input, target).
    /// </summary>
    public Tensor Call(Tensor input, Tensor target) => CallWithHooks((input, target), pair => Forward(pair.input, pair.target));
}
