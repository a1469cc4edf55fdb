namespace Nabla.NN;

/// <summary>
/// Batch normalisation over a 1-D batch of channels (<c>nn.BatchNorm1d</c>, Ioffe &amp; Szegedy 2015):
/// y = (x − E[x]) / √(Var[x] + ε)·γ + β per channel, with batch statistics in training and
/// running statistics in evaluation.
/// Shape: [N, C] or [N, C, L] → same shape.
/// </summary>
public sealed class BatchNorm1d : BatchNorm
{
    /// <summary>Creates the layer.</summary>
    /// <param name="numFeatures">C, the number of channels.</param>
    /// <param name="eps">ε added to the variance.</param>
    /// <param name="momentum">Weight of the new batch in the running statistics; null for a cumulative average.</param>
    /// <param name="affine">Learn γ and β.</param>
    /// <param name="trackRunningStats">Keep running statistics for evaluation.</param>
    /// <param name="dtype">Floating-point type of the parameters and statistics.</param>
    public BatchNorm1d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType dtype = DType.Float32)
        : base(numFeatures, eps, momentum, affine, trackRunningStats, dtype) { }

    /// <inheritdoc/>
    protected override void CheckInputDim(Tensor input)
    {
        if (input.Rank is not (2 or 3))
            throw new ShapeException($"BatchNorm1d: expected 2-D or 3-D input ([N, C] or [N, C, L]), got shape {input.Shape}.");
    }
}
