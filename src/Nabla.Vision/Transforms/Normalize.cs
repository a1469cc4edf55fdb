namespace Nabla.Vision.Transforms;

/// <summary>
/// Per-channel standardisation (<c>transforms.Normalize</c>): output[c] = (input[c] − mean[c]) / std[c].
/// Fashion-MNIST's training set has mean 0.2860 and std 0.3530.
/// </summary>
public sealed class Normalize : Transform
{
    readonly double[] mean, std;

    /// <summary>Standardisation with one mean and std per channel (or one for all).</summary>
    public Normalize(double[] mean, double[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length != std.Length || mean.Length == 0)
            throw new ArgumentException($"Normalize: mean has {mean.Length} values and std {std.Length}; give one per channel.", nameof(std));
        if (std.Any(s => s == 0)) throw new ArgumentException("Normalize: std must not contain zeros.", nameof(std));
        this.mean = [.. mean];
        this.std = [.. std];
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor image)
    {
        var (c, _, _) = CheckImage(image, "Normalize");
        if (mean.Length != 1 && mean.Length != c)
            throw new ShapeException($"Normalize: {mean.Length} means for an image with {c} channels.");
        var meanTensor = Tensor.From(mean.Select(m => (float)m).ToArray(), mean.Length, 1, 1).To(image.DType);
        var stdTensor = Tensor.From(std.Select(s => (float)s).ToArray(), std.Length, 1, 1).To(image.DType);
        return (image - meanTensor) / stdTensor;
    }
}
