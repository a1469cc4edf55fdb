namespace Nabla.NN;

/// <summary>
/// Log-softmax xᵢ − log Σⱼ e^(xⱼ) along <see cref="Dim"/> (<c>nn.LogSoftmax</c>), computed stably.
/// Shape: [*] → [*] (same shape).
/// </summary>
public sealed class LogSoftmax : Module<Tensor, Tensor>
{
    /// <summary>The dim to normalise over.</summary>
    public int Dim { get; }

    /// <summary>Creates the layer.</summary>
    /// <param name="dim">The dim to normalise over.</param>
    public LogSoftmax(int dim)
    {
        Dim = dim;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LogSoftmax(input, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}
