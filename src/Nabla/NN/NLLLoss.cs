namespace Nabla.NN;

/// <summary>
/// Negative log-likelihood of log-probabilities (<c>nn.NLLLoss</c>); put a <see cref="LogSoftmax"/>
/// before it, or use <see cref="CrossEntropyLoss"/> on logits. lossᵢ = −w_{yᵢ}·input[i, yᵢ].
/// Shape: input [N, C] / [N, C, d₁, …] / [C]; target Int64 [N] / [N, d₁, …] / [] → scalar, or the target's shape with <see cref="Reduction.None"/>.
/// </summary>
public sealed class NLLLoss : Loss
{
    /// <summary>Per-class weights [C], or null (a buffer, as in PyTorch).</summary>
    [Buffer] public Tensor? Weight { get; private set; }

    /// <summary>Target value that is ignored.</summary>
    public long IgnoreIndex { get; }

    /// <summary>Creates the loss.</summary>
    /// <param name="weight">Per-class weights [C]; the mean becomes Σ w_{yᵢ}·lossᵢ / Σ w_{yᵢ}.</param>
    /// <param name="ignoreIndex">Target value to ignore (default −100).</param>
    /// <param name="reduction">Mean (default), Sum or None.</param>
    public NLLLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean) : base(reduction)
    {
        Weight = weight;
        IgnoreIndex = ignoreIndex;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.NllLoss(input, target, Weight, IgnoreIndex, Reduction);
}
