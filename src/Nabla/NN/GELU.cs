namespace Nabla.NN;

/// <summary>
/// Gaussian error linear unit x·Φ(x), elementwise (<c>nn.GELU</c>); "tanh" uses 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
/// Shape: [*] → [*] (same shape).
/// </summary>
public sealed class GELU : Module<Tensor, Tensor>
{
    /// <summary>"none" for the exact normal CDF, or "tanh".</summary>
    public string Approximate { get; }

    /// <summary>Creates the layer.</summary>
    /// <param name="approximate">"none" for the exact normal CDF, or "tanh".</param>
    public GELU(string approximate = "none")
    {
        if (approximate is not ("none" or "tanh")) throw new ArgumentException($"GELU: approximate must be \"none\" or \"tanh\", got \"{approximate}\".", nameof(approximate));
        Approximate = approximate;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Gelu(input, Approximate);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"approximate='{Approximate}'";
}
