namespace Nabla.NN;

/// <summary>
/// Cross-entropy between logits and a target of class indices or class probabilities
/// (<c>nn.CrossEntropyLoss</c>): log-softmax over the class dim, then the negative log-likelihood.
/// See <see cref="Functional.CrossEntropy"/> for the exact weighting, ignore and smoothing rules.
/// Shape: input [N, C] or [N, C, d₁, …] (or [C]); target Int64 [N] / [N, d₁, …] (or []), or
/// probabilities shaped like the input → scalar, or [N] / [N, d₁, …] with <see cref="Reduction.None"/>.
/// </summary>
public sealed class CrossEntropyLoss : Loss
{
    /// <summary>Per-class weights [C], or null; a buffer, so saved in the state dict as PyTorch does.</summary>
    [Buffer] public Tensor? Weight { get; private set; }

    /// <summary>Index-target value that is ignored (no loss, no gradient, not counted in the mean).</summary>
    public long IgnoreIndex { get; }

    /// <summary>ε: the target becomes (1 − ε)·target + ε/C.</summary>
    public double LabelSmoothing { get; }

    /// <summary>Creates the loss.</summary>
    /// <param name="weight">Per-class weights [C]; with index targets the mean becomes Σ wᵧᵢ·lossᵢ / Σ wᵧᵢ.</param>
    /// <param name="ignoreIndex">Index-target value to ignore (default −100).</param>
    /// <param name="reduction">Mean (default), Sum or None.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    public CrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0.0)
        : base(reduction)
    {
        if (labelSmoothing is < 0 or > 1) throw new ArgumentException($"CrossEntropyLoss: labelSmoothing must be in [0, 1], got {labelSmoothing}.", nameof(labelSmoothing));
        Weight = weight;
        IgnoreIndex = ignoreIndex;
        LabelSmoothing = labelSmoothing;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) =>
        Functional.CrossEntropy(input, target, Weight, IgnoreIndex, Reduction, LabelSmoothing);
}
