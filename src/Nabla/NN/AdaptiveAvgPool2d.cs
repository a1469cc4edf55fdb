namespace Nabla.NN;

/// <summary>
/// Adaptive average pooling layer (<c>nn.AdaptiveAvgPool2d</c>): averages windows sized so that any input gives
/// <see cref="OutputSize"/> (output cell i covers input rows [⌊i·H/out⌋, ⌈(i+1)·H/out⌉)); <c>AdaptiveAvgPool2d(1)</c> is global average pooling.
/// Shape: [N, C, H, W] (or [C, H, W]) → [N, C, outputSize.H, outputSize.W].
/// </summary>
public sealed class AdaptiveAvgPool2d : Module<Tensor, Tensor>
{
    /// <summary>The output (height, width).</summary>
    public Pair2d OutputSize { get; }

    /// <summary>An adaptive average-pooling layer to <paramref name="outputSize"/> (one int or (height, width)).</summary>
    public AdaptiveAvgPool2d(Pair2d outputSize) => OutputSize = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AdaptiveAvgPool2d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={OutputSize.IntOrTuple}";
}
