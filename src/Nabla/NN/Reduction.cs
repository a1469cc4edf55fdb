namespace Nabla.NN;

/// <summary>How a loss turns its per-element values into the result (PyTorch's <c>reduction=</c> string).</summary>
public enum Reduction
{
    /// <summary>No reduction: one loss per element ("none").</summary>
    None,

    /// <summary>The mean (for weighted losses, the weighted mean) of the element losses ("mean").</summary>
    Mean,

    /// <summary>The sum of the element losses ("sum").</summary>
    Sum,

    /// <summary>The sum divided by the batch size, the size of dim 0 ("batchmean"): only <c>KLDivLoss</c> accepts it.</summary>
    BatchMean,
}
