using Nabla.Jit;
namespace Nabla.NN;

// Normalisation layers' functions. Composite tensor ops: autograd derives the backward from them.
public static partial class Functional
{
    /// <summary>
    /// Batch normalisation (<c>F.batch_norm</c>): y = (x − μ)/√(σ² + ε)·γ + β per channel (dim 1).
    /// In training μ, σ² are the batch's mean and biased variance over all dims but 1, and the
    /// running statistics (when given) are updated in place: r ← (1 − m)·r + m·s, with the
    /// unbiased variance σ²·n/(n − 1) for the running variance, as PyTorch does. Otherwise the
    /// running statistics are used. Shape: [N, C, *] → [N, C, *].
    /// </summary>
    /// <param name="input">[N, C] or [N, C, d₁, …].</param>
    /// <param name="runningMean">Running mean [C], updated in training; null to skip.</param>
    /// <param name="runningVar">Running variance [C], updated in training; null to skip.</param>
    /// <param name="weight">γ [C], or null for 1.</param>
    /// <param name="bias">β [C], or null for 0.</param>
    /// <param name="training">Use (and update with) the batch statistics.</param>
    /// <param name="momentum">m, the weight of the new batch in the running average.</param>
    /// <param name="eps">ε added to the variance.</param>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        const string op = "BatchNorm";
        CheckFloating(op, "input", input);
        if (input.Rank < 2) throw new ShapeException($"{op}: input must be [N, C, *] with at least 2 dims, got shape {input.Shape}.");
        int channels = input.Size(1);
        foreach (var (name, t) in new[] { ("runningMean", runningMean), ("runningVar", runningVar), ("weight", weight), ("bias", bias) })
            if (t != null && (t.Rank != 1 || t.Size(0) != channels))
                throw new ShapeException($"{op}: {name} must have shape [{channels}] for input of shape {input.Shape}, got {t.Shape}.");
        var channelShape = Enumerable.Repeat(1, input.Rank).ToArray();
        channelShape[1] = channels;

        if (training)
        {
            long count = input.NumElements / Math.Max(channels, 1);
            if (count <= 1) throw new ShapeException($"{op}: expected more than 1 value per channel when training, got input of shape {input.Shape}.");
            Tensor output, mean, variance;
            if (input.Rank >= 3 && count / input.Size(0) >= 8 && input.IsContiguous
                && (weight is null || weight.DType == input.DType) && (bias is null || bias.DType == input.DType))
            {
                // Images and sequences: one op over planes of contiguous values (Tensor.BatchNormTraining).
                (output, var batchMean, var batchVariance) = Tensor.BatchNormTraining(input, weight, bias, eps,
                    () => ComposedBatchNormTraining(input, weight, bias, eps, channelShape).Output);
                (mean, variance) = (Tensor.From(batchMean).To(input.Device), Tensor.From(batchVariance).To(input.Device));
            }
            else (output, mean, variance) = ComposedBatchNormTraining(input, weight, bias, eps, channelShape);
            using (Autograd.NoGrad())
            {
                // r ← (1 − m)·r + m·batch statistic; the running variance takes the unbiased estimate.
                runningMean?.Mul_(1 - momentum).Add_(mean.Reshape(channels).To(runningMean.DType) * momentum);
                runningVar?.Mul_(1 - momentum).Add_(variance.Reshape(channels).To(runningVar.DType) * (momentum * count / (count - 1)));
            }
            return output;
        }

        if (runningMean is null || runningVar is null)
            throw new ArgumentException($"{op}: running statistics are required when not training.");
        if (input.Rank >= 3 && input.IsContiguous && input.Count > 0 && (input.DType == DType.Float32 || input.DType == DType.Float64)
            && runningMean.DType == input.DType && runningVar.DType == input.DType
            && (weight is null || weight.DType == input.DType) && (bias is null || bias.DType == input.DType)
            && !(GradMode.IsEnabled && (input.RequiresGrad || runningMean.RequiresGrad || runningVar.RequiresGrad || (weight?.RequiresGrad ?? false) || (bias?.RequiresGrad ?? false))))
        {
            // Inference: one pass, x·a + b with the statistics and affine parameters folded per channel.
            var folded = Tensor.BatchNormInference(input, runningMean, runningVar, weight, bias, eps);
            if (Tracer.IsActive) Tracer.Record(GraphOps.BatchNorm, folded, [input, runningMean, runningVar, weight, bias], new() { ["eps"] = eps });
            return folded;
        }
        var centered = input - runningMean.Reshape(channelShape);
        var inverseStd = (runningVar.Reshape(channelShape) + eps).Rsqrt();
        var normalized = ScaleAndShift(centered, inverseStd, weight, bias, channelShape);
        if (Tracer.IsActive) Tracer.Record(GraphOps.BatchNorm, normalized, [input, runningMean, runningVar, weight, bias], new() { ["eps"] = eps });
        return normalized;
    }

    /// <summary>
    /// Training-mode batch norm from differentiable ops: y = (x − μ)·s + β with s = γ/√(σ² + ε), two full-size
    /// ops after the statistics; returns y and the batch mean and biased variance (shaped like channelShape).
    /// </summary>
    static (Tensor Output, Tensor Mean, Tensor Variance) ComposedBatchNormTraining(Tensor input, Tensor? weight, Tensor? bias, double eps, int[] channelShape)
    {
        var mean = ChannelMean(input);
        var centered = input - mean;
        var variance = ChannelMean(centered * centered);
        var inverseStd = (variance + eps).Rsqrt();
        return (ScaleAndShift(centered, inverseStd, weight, bias, channelShape), mean.Detach(), variance.Detach());
    }

    static Tensor ScaleAndShift(Tensor centered, Tensor inverseStd, Tensor? weight, Tensor? bias, int[] channelShape)
    {
        var scale = weight is null ? inverseStd : inverseStd * weight.Reshape(channelShape);
        var output = centered * scale;
        return bias is null ? output : output + bias.Reshape(channelShape);
    }

    /// <summary>
    /// Mean over every dim but 1, kept as size-1 dims: first over the trailing dims (one contiguous
    /// block per sample and channel), then over the batch. Equal group sizes make the mean of the
    /// means exact, and both steps avoid the transposed copy a single reduction over (0, 2, …) needs.
    /// </summary>
    static Tensor ChannelMean(Tensor t)
    {
        if (t.Rank > 2) t = t.Mean([.. Enumerable.Range(2, t.Rank - 2)], keepDim: true);
        return t.Mean(0, keepDim: true);
    }

    /// <summary>
    /// Layer normalisation (<c>F.layer_norm</c>): y = (x − μ)/√(σ² + ε)·γ + β, with μ and the biased
    /// σ² taken over the last dims given by <paramref name="normalizedShape"/>, for each sample.
    /// Shape: [*, normalizedShape] → same; weight and bias have shape normalizedShape.
    /// </summary>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        const string op = "LayerNorm";
        CheckFloating(op, "input", input);
        int k = normalizedShape.Length;
        if (k == 0 || input.Rank < k || !input.Shape.Skip(input.Rank - k).SequenceEqual(normalizedShape))
            throw new ShapeException($"{op}: input of shape {input.Shape} does not end in normalizedShape [{string.Join(", ", normalizedShape)}].");
        foreach (var (name, t) in new[] { ("weight", weight), ("bias", bias) })
            if (t != null && !t.Shape.SequenceEqual(normalizedShape))
                throw new ShapeException($"{op}: {name} must have shape [{string.Join(", ", normalizedShape)}], got {t.Shape}.");
        int[] dims = [.. Enumerable.Range(input.Rank - k, k)];
        var mean = input.Mean(dims, keepDim: true);
        var centered = input - mean;
        var variance = (centered * centered).Mean(dims, keepDim: true);
        var normalized = centered * (variance + eps).Rsqrt();
        if (weight != null) normalized = normalized * weight;
        if (bias != null) normalized = normalized + bias;
        if (Tracer.IsActive) Tracer.Record(GraphOps.LayerNorm, normalized, [input, weight, bias], new() { ["normalized_shape"] = normalizedShape.ToArray(), ["eps"] = eps });
        return normalized;
    }
    /// <summary>
    /// Local response normalisation across channels (<c>F.local_response_norm</c>, Krizhevsky et al. 2012, §3.3):
    /// b_c = a_c / (k + α/n · Σ a_{c'}²)^β, the sum over the channels c − ⌊n/2⌋ … c + ⌊(n − 1)/2⌋ that exist, n = <paramref name="size"/>
    /// (PyTorch divides by n whatever the number of channels in the window). Built from differentiable ops: the squares, zero-padded
    /// along the channels, are averaged by a (n × 1) pooling window.
    /// Shape: [N, C, *] (at least one dim after C) → same shape.
    /// </summary>
    /// <param name="input">The input, channels in dim 1.</param>
    /// <param name="size">Channels in each window, n.</param>
    /// <param name="alpha">Scale α.</param>
    /// <param name="beta">Exponent β.</param>
    /// <param name="k">Additive constant k.</param>
    /// <exception cref="ShapeException">The input has fewer than 3 dims.</exception>
    /// <exception cref="ArgumentException">The size is not positive.</exception>
    public static Tensor LocalResponseNorm(Tensor input, int size, double alpha = 1e-4, double beta = 0.75, double k = 1.0)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 3)
            throw new ShapeException($"LocalResponseNorm: input must have at least 3 dims [N, C, *], got {input.Shape}.");
        if (size < 1)
            throw new ArgumentException($"LocalResponseNorm: size must be positive, got {size}.", nameof(size));
        int batch = input.Size(0), channels = input.Size(1);
        int rest = (int)(input.Shape.NumElements / ((long)batch * channels));
        // [N, 1, C, rest]: the channel window is a (size × 1) window of a one-channel image.
        var squares = input.Pow(2).Contiguous().View(batch, 1, channels, rest);
        var padded = PadSides(squares, 2, size / 2, (size - 1) / 2, 0);
        var mean = padded.AvgPool2d((size, 1), 1, 0).View(input.Shape.ToArray());
        return input / (mean * alpha + k).Pow(beta);
    }
}
