namespace Nabla.NN;

/// <summary>
/// Kullback–Leibler divergence KL(target ‖ input) with the input as log-probabilities
/// (<c>nn.KLDivLoss</c>): y·(log y − x), or e^y·(y − x) when the target is given as log-probabilities.
/// Use <see cref="Reduction.BatchMean"/> for the mathematical KL per sample.
/// Shape: input and target of the same shape [*] → scalar, or [*] with <see cref="Reduction.None"/>.
/// </summary>
public sealed class KLDivLoss : Loss
{
    /// <summary>Whether the target holds log-probabilities.</summary>
    public bool LogTarget { get; }

    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">Mean (default, per element, as PyTorch), BatchMean, Sum or None.</param>
    /// <param name="logTarget">Whether the target holds log-probabilities.</param>
    public KLDivLoss(Reduction reduction = Reduction.Mean, bool logTarget = false) : base(reduction) => LogTarget = logTarget;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.KlDiv(input, target, Reduction, LogTarget);
}
