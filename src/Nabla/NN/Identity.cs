namespace Nabla.NN;

/// <summary>
/// Returns its input unchanged (<c>nn.Identity</c>): a placeholder, e.g. to remove a layer from a model.
/// Shape: [*] → [*] (same shape).
/// </summary>
public sealed class Identity : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input;
}
