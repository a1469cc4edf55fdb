namespace Nabla.NN;

/// <summary>
/// Local response normalisation across channels (<c>nn.LocalResponseNorm</c>), AlexNet's "brightness normalisation"
/// (Krizhevsky et al. 2012, §3.3; the paper uses n = 5, α = 10⁻⁴, β = 0.75, k = 2): each activation is divided by
/// (k + α/n · Σ of the squares of the n neighbouring channels)^β. See <see cref="Functional.LocalResponseNorm"/>.
/// Shape: [N, C, *] → same shape.
/// </summary>
public sealed class LocalResponseNorm : Module<Tensor, Tensor>
{
    /// <summary>Channels in each window, n.</summary>
    public int Size { get; }

    /// <summary>Scale α.</summary>
    public double Alpha { get; }

    /// <summary>Exponent β.</summary>
    public double Beta { get; }

    /// <summary>Additive constant k.</summary>
    public double K { get; }

    /// <summary>Creates the layer (PyTorch's defaults: α = 10⁻⁴, β = 0.75, k = 1).</summary>
    /// <param name="size">Channels in each window, n.</param>
    /// <param name="alpha">Scale α.</param>
    /// <param name="beta">Exponent β.</param>
    /// <param name="k">Additive constant k.</param>
    /// <exception cref="ArgumentException">The size is not positive.</exception>
    public LocalResponseNorm(int size, double alpha = 1e-4, double beta = 0.75, double k = 1.0)
    {
        if (size < 1) throw new ArgumentException($"LocalResponseNorm: size must be positive, got {size}.", nameof(size));
        Size = size;
        Alpha = alpha;
        Beta = beta;
        K = k;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LocalResponseNorm(input, Size, Alpha, Beta, K);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{Size}, alpha={FormatFloat(Alpha)}, beta={FormatFloat(Beta)}, k={FormatFloat(K)}";
}
