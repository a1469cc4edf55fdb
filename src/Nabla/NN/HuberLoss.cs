namespace Nabla.NN;

/// <summary>
/// Huber loss (<c>nn.HuberLoss</c>): with z = |x − y|, ½z² where z &lt; δ, else δ(z − ½δ); quadratic near 0, linear (robust to outliers) far from it.
/// Shape: input and target of the same shape [*] → scalar, or [*] with <see cref="Reduction.None"/>.
/// </summary>
public sealed class HuberLoss : Loss
{
    /// <summary>δ, where the loss changes from quadratic to linear; positive.</summary>
    public double Delta { get; }

    /// <summary>Creates the loss.</summary>
    /// <param name="delta">δ, where the loss changes from quadratic to linear; positive.</param>
    /// <param name="reduction">Mean (default), Sum or None.</param>
    public HuberLoss(double delta = 1.0, Reduction reduction = Reduction.Mean) : base(reduction)
    {
        Delta = delta;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.HuberLoss(input, target, Reduction, delta: Delta);
}
