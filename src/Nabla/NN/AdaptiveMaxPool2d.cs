namespace Nabla.NN;

/// <summary>
/// Adaptive max pooling layer (<c>nn.AdaptiveMaxPool2d</c>): the maximum of windows sized so that any input gives
/// <see cref="OutputSize"/>, windows as in <see cref="AdaptiveAvgPool2d"/>.
/// Shape: [N, C, H, W] (or [C, H, W]) → [N, C, outputSize.H, outputSize.W].
/// For the indices of the maxima use <see cref="Functional.AdaptiveMaxPool2dWithIndices"/>.
/// </summary>
public sealed class AdaptiveMaxPool2d : Module<Tensor, Tensor>
{
    /// <summary>The output (height, width).</summary>
    public Pair2d OutputSize { get; }

    /// <summary>An adaptive max-pooling layer to <paramref name="outputSize"/> (one int or (height, width)).</summary>
    public AdaptiveMaxPool2d(Pair2d outputSize) => OutputSize = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AdaptiveMaxPool2d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={OutputSize.IntOrTuple}";
}
