using System.Runtime.CompilerServices;

namespace Nabla.NN;

/// <summary>
/// Inference of a <see cref="Conv2d"/> followed by an eval-mode <see cref="BatchNorm"/> (and optionally a residual add and a
/// ReLU) as one convolution: the BatchNorm folded into the weights, W' = W·s and b' = (b − μ)·s + β with s = γ/√(σ² + ε)
/// per output channel (computed in float64), and the residual and ReLU applied to the convolution's output as it is written
/// (<see cref="Tensor.Conv2dInference"/>). The folded weights are cached per convolution and remade when any of the six
/// source tensors is replaced or written in place (their storages' versions: an optimizer step, a state-dict load,
/// <c>Copy_</c>), so an unchanged model pays for the folding once. Models use it from their forward in eval mode
/// (<see cref="Applies"/>); the result equals the unfused layers' within float32 rounding.
/// </summary>
internal static class ConvBatchNormFolding
{
    /// <summary>The folded weights of one convolution and the versions of what they were made from.</summary>
    sealed record Folded(Tensor?[] Sources, int[] Versions, BatchNorm Norm, Tensor Weight, Tensor Bias);

    static readonly ConditionalWeakTable<Conv2d, Folded> Cache = new();

    /// <summary>
    /// Whether <paramref name="conv"/> → <paramref name="norm"/> on <paramref name="input"/> can run folded: the BatchNorm in
    /// eval mode with running statistics, a zero-padded convolution with numeric padding, float32 weights, no forward hooks
    /// on either module (they would be skipped), no autograd to record, and no trace running (a traced graph keeps the
    /// layers and their named parameters; the jit folds BatchNorms itself).
    /// </summary>
    public static bool Applies(Tensor input, Conv2d conv, BatchNorm norm) =>
        !Nabla.Jit.Tracer.IsActive && !norm.Training && norm.RunningMean is not null && norm.RunningVar is not null && norm.NumFeatures == conv.OutChannels &&
        conv.PaddingMode == "zeros" && conv.Padding.Mode is null && conv.Weight.DType == DType.Float32 &&
        !conv.HasForwardHooks && !norm.HasForwardHooks &&
        !(GradMode.IsEnabled && (input.RequiresGrad || conv.Weight.RequiresGrad || (conv.Bias?.RequiresGrad ?? false) ||
            (norm.Weight?.RequiresGrad ?? false) || (norm.Bias?.RequiresGrad ?? false)));

    /// <summary>relu?(norm(conv(input)) + residual) for a pair where <see cref="Applies"/>; <paramref name="residual"/> may be null.</summary>
    public static Tensor Forward(Tensor input, Conv2d conv, BatchNorm norm, Tensor? residual = null, bool relu = false)
    {
        var folded = FoldedWeights(conv, norm);
        return Tensor.Conv2dInference(input, folded.Weight, folded.Bias, residual, relu, conv.Stride, conv.Padding.Size, conv.Dilation, conv.Groups);
    }

    /// <summary>The cached folded weight and bias of <paramref name="conv"/> and <paramref name="norm"/>, remade when a source changed.</summary>
    static Folded FoldedWeights(Conv2d conv, BatchNorm norm)
    {
        Tensor?[] sources = [conv.Weight, conv.Bias, norm.Weight, norm.Bias, norm.RunningMean, norm.RunningVar];
        if (Cache.TryGetValue(conv, out var cached) && ReferenceEquals(cached.Norm, norm) && Same(cached, sources)) return cached;
        Tensor weight, bias;
        using (Autograd.NoGrad())
        {
            var mean = norm.RunningMean!.To(DType.Float64);
            var scale = (norm.RunningVar!.To(DType.Float64) + norm.Eps).Rsqrt();
            if (norm.Weight is not null) scale *= norm.Weight.To(DType.Float64);
            var shift = conv.Bias is null ? -mean : conv.Bias.To(DType.Float64) - mean;
            shift *= scale;
            if (norm.Bias is not null) shift += norm.Bias.To(DType.Float64);
            weight = (conv.Weight.To(DType.Float64) * scale.View(-1, 1, 1, 1)).To(DType.Float32).Contiguous();
            bias = shift.To(DType.Float32).Contiguous();
        }
        var folded = new Folded(sources, sources.Select(s => s?.storage.Version ?? -1).ToArray(), norm, weight, bias);
        Cache.AddOrUpdate(conv, folded);
        return folded;
    }

    /// <summary>Whether <paramref name="sources"/> are the very tensors <paramref name="cached"/> was made from, unwritten since.</summary>
    static bool Same(Folded cached, Tensor?[] sources)
    {
        for (int i = 0; i < sources.Length; i++)
        {
            if (!ReferenceEquals(cached.Sources[i], sources[i])) return false;
            if (sources[i] is { } source && source.storage.Version != cached.Versions[i]) return false;
        }
        return true;
    }
}
