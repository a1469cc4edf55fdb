namespace Nabla.NN;

/// <summary>
/// Softmax e^(xᵢ) / Σⱼ e^(xⱼ) along <see cref="Dim"/> (<c>nn.Softmax</c>): each slice sums to 1.
/// Shape: [*] → [*] (same shape).
/// </summary>
public sealed class Softmax : Module<Tensor, Tensor>
{
    /// <summary>The dim along which the values sum to 1.</summary>
    public int Dim { get; }

    /// <summary>Creates the layer.</summary>
    /// <param name="dim">The dim along which the values sum to 1.</param>
    public Softmax(int dim)
    {
        Dim = dim;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Softmax(input, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}
