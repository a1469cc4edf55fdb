namespace Nabla.NN;

/// <summary>
/// Hyperbolic tangent, elementwise (<c>nn.Tanh</c>).
/// Shape: [*] → [*] (same shape).
/// </summary>
public sealed class Tanh : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Tanh(input);
}
