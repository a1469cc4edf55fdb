namespace Nabla.NN;

/// <summary>
/// Mean absolute error |x − y| (<c>nn.L1Loss</c>).
/// Shape: input and target of the same shape [*] → scalar, or [*] with <see cref="Reduction.None"/>.
/// </summary>
public sealed class L1Loss : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">Mean (default), Sum or None.</param>
    public L1Loss(Reduction reduction = Reduction.Mean) : base(reduction)
    {
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.L1Loss(input, target, Reduction);
}
