namespace Nabla.NN;

/// <summary>
/// Bilinear map yₖ = x₁ᵀ Wₖ x₂ + bₖ (<c>nn.Bilinear</c>).
/// Shape: input1 [*, in1Features], input2 [*, in2Features] → [*, outFeatures].
/// </summary>
public sealed class Bilinear : Module
{
    /// <summary>Size of each first input.</summary>
    public int In1Features { get; }

    /// <summary>Size of each second input.</summary>
    public int In2Features { get; }

    /// <summary>Size of each output.</summary>
    public int OutFeatures { get; }

    /// <summary>W [outFeatures, in1Features, in2Features].</summary>
    public Parameter Weight { get; private set; }

    /// <summary>b [outFeatures]; null when built with <c>bias: false</c>.</summary>
    public Parameter? Bias { get; private set; }

    /// <summary>Creates the layer.</summary>
    /// <param name="in1Features">Size of each first input.</param>
    /// <param name="in2Features">Size of each second input.</param>
    /// <param name="outFeatures">Size of each output.</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    public Bilinear(int in1Features, int in2Features, int outFeatures, bool bias = true, DType dtype = DType.Float32)
    {
        if (in1Features <= 0 || in2Features <= 0 || outFeatures < 0)
            throw new ArgumentException($"Bilinear: feature sizes must be positive, got {in1Features}, {in2Features}, {outFeatures}.");
        In1Features = in1Features;
        In2Features = in2Features;
        OutFeatures = outFeatures;
        Weight = new Parameter(Tensor.Empty([outFeatures, in1Features, in2Features], dtype));
        Bias = bias ? new Parameter(Tensor.Empty([outFeatures], dtype)) : null;
        ResetParameters();
    }

    /// <summary>PyTorch's default: W and b ~ U(−1/√in1, 1/√in1).</summary>
    public void ResetParameters()
    {
        double bound = 1 / Math.Sqrt(In1Features);
        Init.Uniform_(Weight, -bound, bound);
        if (Bias != null) Init.Uniform_(Bias, -bound, bound);
    }

    /// <summary>The bilinear form of the two inputs; prefer <see cref="Call"/>, which also runs hooks.</summary>
    public Tensor Forward(Tensor input1, Tensor input2) => Functional.Bilinear(input1, input2, Weight, Bias);

    /// <summary>Runs the hooks (input seen as the tuple (input1, input2)) around <see cref="Forward"/>.</summary>
    public Tensor Call(Tensor input1, Tensor input2) => CallWithHooks((input1, input2), pair => Forward(pair.input1, pair.input2));

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"in1_features={In1Features}, in2_features={In2Features}, out_features={OutFeatures}, bias={FormatBool(Bias != null)}";
}
