namespace Nabla.NN;

/// <summary>The arguments shared by the Transformer layers, and the parts they build from them.</summary>
internal sealed record TransformerConfig(int DModel, int Nhead, int DimFeedforward, double DropoutP, string Activation, double LayerNormEps,
    bool BatchFirst, bool NormFirst, DType DType, Generator? Generator)
{
    public TransformerConfig Validated(string layer)
    {
        if (DModel <= 0 || Nhead <= 0 || DimFeedforward <= 0)
            throw new ArgumentException($"{layer}: dModel, nhead and dimFeedforward must be positive, got {DModel}, {Nhead} and {DimFeedforward}.");
        if (DModel % Nhead != 0) throw new ArgumentException($"{layer}: dModel {DModel} must be divisible by nhead {Nhead}.");
        if (DropoutP is < 0 or > 1) throw new ArgumentException($"{layer}: dropout must be in [0, 1], got {DropoutP}.");
        if (Activation is not ("relu" or "gelu")) throw new ArgumentException($"{layer}: activation must be \"relu\" or \"gelu\", got \"{Activation}\".");
        return this;
    }

    public MultiheadAttention Attention() =>
        new(DModel, Nhead, DropoutP, batchFirst: BatchFirst, dtype: DType, generator: Generator);

    public Dropout Dropout() => new(DropoutP, Generator);

    public LayerNorm Norm() => new(DModel, LayerNormEps, elementwiseAffine: true, dtype: DType);

    /// <summary>The feed-forward activation by name.</summary>
    public static Tensor Activate(string activation, Tensor x) => activation == "gelu" ? Functional.Gelu(x) : Functional.Relu(x);
}
