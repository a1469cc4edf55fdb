namespace Nabla.NN;

/// <summary>
/// Affine map y = x Wᵀ + b (<c>nn.Linear</c>).
/// Shape: [*, inFeatures] → [*, outFeatures].
/// </summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    /// <summary>Size of each input sample.</summary>
    public int InFeatures { get; }

    /// <summary>Size of each output sample.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight W, shape [outFeatures, inFeatures].</summary>
    public Parameter Weight { get; private set; }

    /// <summary>The bias b, shape [outFeatures]; null when built with <c>bias: false</c>.</summary>
    public Parameter? Bias { get; private set; }

    /// <summary>A linear layer, initialised by <see cref="ResetParameters"/>.</summary>
    /// <param name="inFeatures">Size of each input sample.</param>
    /// <param name="outFeatures">Size of each output sample.</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    public Linear(int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32)
    {
        if (inFeatures < 0 || outFeatures < 0) throw new ArgumentException($"Linear: feature sizes must be non-negative, got inFeatures = {inFeatures}, outFeatures = {outFeatures}.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = new Parameter(Tensor.Empty([outFeatures, inFeatures], dtype));
        Bias = bias ? new Parameter(Tensor.Empty([outFeatures], dtype)) : null;
        ResetParameters();
    }

    /// <summary>
    /// PyTorch's default: W ~ KaimingUniform(a = √5), i.e. U(−1/√in, 1/√in), and b ~ U(−1/√in, 1/√in).
    /// </summary>
    public void ResetParameters()
    {
        Init.KaimingUniform_(Weight, a: Math.Sqrt(5));
        if (Bias != null)
        {
            var (fanIn, _) = Init.CalculateFanInAndFanOut(Weight);
            double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
            Init.Uniform_(Bias, -bound, bound);
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={FormatBool(Bias != null)}";
}
