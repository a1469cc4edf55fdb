namespace Nabla.Vision.Gan;

/// <summary>
/// The Fréchet distance between two Gaussians fitted to feature sets (Heusel et al., 2017, the "FID" when the features are
/// Inception's): d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½). The matrix square root comes from <see cref="Linalg.EigH"/>:
/// Σ₁Σ₂ is similar to the symmetric M = Σ₁^½ Σ₂ Σ₁^½ (conjugate by Σ₁^½), so Tr((Σ₁Σ₂)^½) = Σᵢ √λᵢ(M), with
/// Σ₁^½ = V diag(√λ) Vᵀ from Σ₁'s eigen-decomposition. Computed in float64; eigenvalues below zero (rounding) count as zero.
/// </summary>
public static class FrechetDistance
{
    /// <summary>The Fréchet distance d² between Gaussians fitted to <paramref name="first"/> and <paramref name="second"/>.</summary>
    /// <param name="first">Features [N₁, D], one row per sample (N₁ ≥ 2).</param>
    /// <param name="second">Features [N₂, D] (N₂ ≥ 2).</param>
    /// <exception cref="ShapeException">The sets are not matrices of the same width or have fewer than two rows.</exception>
    public static double Compute(Tensor first, Tensor second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Rank != 2 || second.Rank != 2 || first.Size(1) != second.Size(1) || first.Size(0) < 2 || second.Size(0) < 2)
            throw new ShapeException($"FrechetDistance.Compute: features must be [N, D] with the same D and N ≥ 2, got {first.Shape} and {second.Shape}.");
        var (mean1, covariance1) = Moments(first);
        var (mean2, covariance2) = Moments(second);
        double meanTerm = (mean1 - mean2).Pow(2).Sum().Item();
        var root1 = SymmetricSqrt(covariance1);
        var (eigenvalues, _) = Linalg.EigH(root1.MatMul(covariance2).MatMul(root1));
        double traceRoot = eigenvalues.Clamp(min: 0).Sqrt().Sum().Item();
        return meanTerm + Trace(covariance1) + Trace(covariance2) - 2 * traceRoot;
    }

    /// <summary>The mean [D] and the unbiased covariance [D, D] of the rows of <paramref name="features"/>, in float64.</summary>
    public static (Tensor Mean, Tensor Covariance) Moments(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Rank != 2 || features.Size(0) < 2)
            throw new ShapeException($"FrechetDistance.Moments: features must be [N, D] with N ≥ 2, got {features.Shape}.");
        using var noGrad = Autograd.NoGrad();
        var x = features.To(DType.Float64);
        var mean = x.Mean(0);
        var centered = x - mean;
        return (mean, centered.MT.MatMul(centered) / (x.Size(0) - 1));
    }

    static double Trace(Tensor matrix) => (matrix * Tensor.Eye(matrix.Size(0), dtype: matrix.DType)).Sum().Item();

    // A symmetric positive semi-definite matrix's square root, V diag(√max(λ, 0)) Vᵀ.
    static Tensor SymmetricSqrt(Tensor matrix)
    {
        var (values, vectors) = Linalg.EigH(matrix);
        return (vectors * values.Clamp(min: 0).Sqrt()).MatMul(vectors.MT);
    }
}
