namespace Nabla.NN;

/// <summary>
/// Layer normalisation (<c>nn.LayerNorm</c>, Ba et al. 2016): each sample is normalised over its
/// last dims, y = (x − E[x]) / √(Var[x] + ε)·γ + β, the same in training and evaluation.
/// Shape: [*, normalizedShape] → same shape.
/// </summary>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    /// <summary>The trailing dims normalised over.</summary>
    public IReadOnlyList<int> NormalizedShape { get; }

    /// <summary>ε added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Whether γ and β are learned.</summary>
    public bool ElementwiseAffine { get; }

    /// <summary>γ, shape normalizedShape, initialised to 1; null without <see cref="ElementwiseAffine"/>.</summary>
    public Parameter? Weight { get; private set; }

    /// <summary>β, shape normalizedShape, initialised to 0; null without <see cref="ElementwiseAffine"/>.</summary>
    public Parameter? Bias { get; private set; }

    /// <summary>Creates the layer.</summary>
    /// <param name="normalizedShape">The trailing dims to normalise over, e.g. [hidden].</param>
    /// <param name="eps">ε added to the variance.</param>
    /// <param name="elementwiseAffine">Learn γ and β.</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32)
    {
        if (normalizedShape.Length == 0 || normalizedShape.Any(s => s <= 0))
            throw new ArgumentException($"LayerNorm: normalizedShape must be non-empty with positive sizes, got [{string.Join(", ", normalizedShape)}].", nameof(normalizedShape));
        NormalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        ElementwiseAffine = elementwiseAffine;
        if (elementwiseAffine)
        {
            Weight = new Parameter(Tensor.Empty(normalizedShape, dtype));
            Bias = new Parameter(Tensor.Empty(normalizedShape, dtype));
        }
        ResetParameters();
    }

    /// <summary>Normalises over the last dim of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32)
        : this([normalizedShape], eps, elementwiseAffine, dtype) { }

    /// <summary>PyTorch's default: γ = 1, β = 0.</summary>
    public void ResetParameters()
    {
        if (Weight != null) Init.Ones_(Weight);
        if (Bias != null) Init.Zeros_(Bias);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LayerNorm(input, [.. NormalizedShape], Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{FormatTuple(NormalizedShape)}, eps={FormatFloat(Eps)}, elementwise_affine={FormatBool(ElementwiseAffine)}";
}
