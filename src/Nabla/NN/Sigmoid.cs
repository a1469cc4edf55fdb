namespace Nabla.NN;

/// <summary>
/// Logistic sigmoid 1 / (1 + e⁻ˣ), elementwise (<c>nn.Sigmoid</c>).
/// Shape: [*] → [*] (same shape).
/// </summary>
public sealed class Sigmoid : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Sigmoid(input);
}
