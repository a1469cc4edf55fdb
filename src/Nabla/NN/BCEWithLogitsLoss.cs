namespace Nabla.NN;

/// <summary>
/// Sigmoid and binary cross-entropy in one stable formula (<c>nn.BCEWithLogitsLoss</c>):
/// (1 − y)·x + (1 + (p − 1)·y)·log(1 + e⁻ˣ), with p the positive-class weight.
/// Shape: input (logits) and target of the same shape [*] → scalar, or [*] with <see cref="Reduction.None"/>.
/// </summary>
public sealed class BCEWithLogitsLoss : Loss
{
    /// <summary>Weight of each element, broadcast to the input, or null (a buffer, as in PyTorch).</summary>
    [Buffer] public Tensor? Weight { get; private set; }

    /// <summary>Weight p of the positive examples, one per class (broadcast along the last dim), or null (a buffer).</summary>
    [Buffer] public Tensor? PosWeight { get; private set; }

    /// <summary>Creates the loss.</summary>
    /// <param name="weight">Rescaling weight broadcast to the input.</param>
    /// <param name="reduction">Mean (default), Sum or None.</param>
    /// <param name="posWeight">Positive-class weight: p &gt; 1 raises recall, p &lt; 1 precision.</param>
    public BCEWithLogitsLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null) : base(reduction)
    {
        Weight = weight;
        PosWeight = posWeight;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) =>
        Functional.BinaryCrossEntropyWithLogits(input, target, Weight, Reduction, PosWeight);
}
