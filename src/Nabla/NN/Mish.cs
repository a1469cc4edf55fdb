namespace Nabla.NN;

/// <summary>
/// Mish x·tanh(softplus(x)), elementwise (<c>nn.Mish</c>; Misra 2019, "Mish: A Self Regularized
/// Non-Monotonic Activation Function").
/// Shape: [*] → [*] (same shape).
/// </summary>
public sealed class Mish : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Mish();
}
