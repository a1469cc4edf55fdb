namespace Nabla.NN;

/// <summary>
/// Smooth L1 loss (<c>nn.SmoothL1Loss</c>): with z = |x − y|, ½z²/β where z &lt; β, else z − ½β.
/// Shape: input and target of the same shape [*] → scalar, or [*] with <see cref="Reduction.None"/>.
/// </summary>
public sealed class SmoothL1Loss : Loss
{
    /// <summary>β, where the loss changes from quadratic to linear; 0 gives the L1 loss.</summary>
    public double Beta { get; }

    /// <summary>Creates the loss.</summary>
    /// <param name="beta">β, where the loss changes from quadratic to linear; 0 gives the L1 loss.</param>
    /// <param name="reduction">Mean (default), Sum or None.</param>
    public SmoothL1Loss(double beta = 1.0, Reduction reduction = Reduction.Mean) : base(reduction)
    {
        Beta = beta;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.SmoothL1Loss(input, target, Reduction, beta: Beta);
}
