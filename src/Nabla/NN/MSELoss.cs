namespace Nabla.NN;

/// <summary>
/// Mean squared error (x − y)² (<c>nn.MSELoss</c>).
/// Shape: input and target of the same shape [*] → scalar, or [*] with <see cref="Reduction.None"/>.
/// </summary>
public sealed class MSELoss : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">Mean (default), Sum or None.</param>
    public MSELoss(Reduction reduction = Reduction.Mean) : base(reduction)
    {
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, Reduction);
}
