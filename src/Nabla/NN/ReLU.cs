namespace Nabla.NN;

/// <summary>
/// Rectified linear unit max(0, x), elementwise (<c>nn.ReLU</c>).
/// Shape: [*] → [*] (same shape).
/// </summary>
public sealed class ReLU : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Relu(input);
}
