namespace Nabla.NN;

/// <summary>
/// Sigmoid-weighted linear unit x·σ(x), elementwise (<c>nn.SiLU</c>, also called swish).
/// Shape: [*] → [*] (same shape).
/// </summary>
public sealed class SiLU : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Silu(input);
}
