namespace Nabla.NN;

/// <summary>
/// x for x &gt; 0, α(eˣ − 1) otherwise, elementwise (<c>nn.ELU</c>).
/// Shape: [*] → [*] (same shape).
/// </summary>
public sealed class ELU : Module<Tensor, Tensor>
{
    /// <summary>The value α approached for very negative inputs, −α.</summary>
    public double Alpha { get; }

    /// <summary>Creates the layer.</summary>
    /// <param name="alpha">The value α approached for very negative inputs, −α.</param>
    public ELU(double alpha = 1.0)
    {
        Alpha = alpha;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Elu(input, Alpha);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"alpha={FormatFloat(Alpha)}";
}
