namespace Nabla.NN;

/// <summary>
/// Adaptive max pooling layer (<c>nn.AdaptiveMaxPool2d</c>): the maximum of windows sized so that any input gives
/// <see cref="OutputSize"/>, windows as in <see cref="AdaptiveAvgPool2d"/>.
/// Shape: [N, C, H, W] (or [C, H, W]) → [N, C, outputSize.H, outputSize.W].
/// For the indices of the maxima (PyTorch's <c>return_indices=True</c>) call <see cref="ForwardWithIndices"/>.
/// </summary>
public sealed class AdaptiveMaxPool2d : Module<Tensor, Tensor>
{
    /// <summary>The output (height, width).</summary>
    public Pair2d OutputSize { get; }

    /// <summary>An adaptive max-pooling layer to <paramref name="outputSize"/> (one int or (height, width)).</summary>
    public AdaptiveMaxPool2d(Pair2d outputSize) => OutputSize = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AdaptiveMaxPool2d(input, OutputSize);

    /// <summary>The pooled values and the flat in-plane index (h·W + w) of each maximum.</summary>
    public (Tensor Values, Tensor Indices) ForwardWithIndices(Tensor input) => Functional.AdaptiveMaxPool2dWithIndices(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={OutputSize.IntOrTuple}";
}
