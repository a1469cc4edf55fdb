namespace Nabla.NN;

/// <summary>
/// x for x ≥ 0, negativeSlope·x otherwise, elementwise (<c>nn.LeakyReLU</c>).
/// Shape: [*] → [*] (same shape).
/// </summary>
public sealed class LeakyReLU : Module<Tensor, Tensor>
{
    /// <summary>Slope for negative inputs.</summary>
    public double NegativeSlope { get; }

    /// <summary>Creates the layer.</summary>
    /// <param name="negativeSlope">Slope for negative inputs.</param>
    public LeakyReLU(double negativeSlope = 0.01)
    {
        NegativeSlope = negativeSlope;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LeakyRelu(input, NegativeSlope);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"negative_slope={FormatFloat(NegativeSlope)}";
}
