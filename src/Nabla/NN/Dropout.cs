namespace Nabla.NN;

/// <summary>
/// Inverted dropout (<c>nn.Dropout</c>): in training mode zeroes each element with probability
/// <see cref="P"/> and scales the rest by 1/(1 − p); in evaluation mode it is the identity.
/// Shape: [*] → [*].
/// </summary>
public sealed class Dropout : Module<Tensor, Tensor>
{
    /// <summary>Probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>The random source of the masks.</summary>
    public Generator Generator { get; }

    /// <summary>Creates the layer.</summary>
    /// <param name="p">Probability of zeroing an element, in [0, 1].</param>
    /// <param name="generator">Random source; <see cref="Nabla.Generator.Default"/> when null.</param>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (p is < 0 or > 1) throw new ArgumentException($"Dropout: probability p must be in [0, 1], got {p}.", nameof(p));
        P = p;
        Generator = generator ?? Generator.Default;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, Training, Generator);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={FormatFloat(P)}, inplace=False";
}
