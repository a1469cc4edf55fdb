namespace Nabla.NN;

/// <summary>
/// Binary cross-entropy of probabilities (<c>nn.BCELoss</c>): −w·[y·log x + (1 − y)·log(1 − x)],
/// logs clamped at −100. Put a <see cref="Sigmoid"/> before it, or better use
/// <see cref="BCEWithLogitsLoss"/> on logits, which is numerically stable.
/// Shape: input and target of the same shape [*] → scalar, or [*] with <see cref="Reduction.None"/>.
/// </summary>
public sealed class BCELoss : Loss
{
    /// <summary>Weight of each element, broadcast to the input, or null (a buffer, as in PyTorch).</summary>
    [Buffer] public Tensor? Weight { get; private set; }

    /// <summary>Creates the loss.</summary>
    /// <param name="weight">Rescaling weight broadcast to the input.</param>
    /// <param name="reduction">Mean (default), Sum or None.</param>
    public BCELoss(Tensor? weight = null, Reduction reduction = Reduction.Mean) : base(reduction) => Weight = weight;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropy(input, target, Weight, Reduction);
}
