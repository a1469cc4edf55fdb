namespace Nabla.NN;

/// <summary>
/// A stack of <see cref="TransformerEncoderLayer"/>s (<c>nn.TransformerEncoder</c>): numLayers copies of the given
/// layer (same starting weights, as PyTorch's deep copies), run in turn with the same masks, then the optional
/// final normalisation. Parameter names: <c>layers.0.self_attn.in_proj_weight</c>, …, <c>norm.weight</c>.
/// Shape: as <see cref="TransformerEncoderLayer"/>: src [S, N, E] ([N, S, E] with batchFirst) → same.
/// </summary>
public sealed class TransformerEncoder : Module<Tensor, Tensor>
{
    /// <summary>The layers, each a copy of the layer given to the constructor.</summary>
    public ModuleList Layers { get; }

    /// <summary>The normalisation after the last layer, or null.</summary>
    public LayerNorm? Norm { get; }

    /// <summary>Number of layers.</summary>
    public int NumLayers { get; }

    /// <summary>Stacks <paramref name="numLayers"/> copies of <paramref name="encoderLayer"/>.</summary>
    /// <param name="encoderLayer">The layer to copy (itself not part of the stack).</param>
    /// <param name="numLayers">Number of copies.</param>
    /// <param name="norm">A normalisation applied to the output, or null.</param>
    public TransformerEncoder(TransformerEncoderLayer encoderLayer, int numLayers, LayerNorm? norm = null)
    {
        if (numLayers < 1) throw new ArgumentException($"TransformerEncoder: numLayers must be positive, got {numLayers}.", nameof(numLayers));
        Layers = [.. Enumerable.Range(0, numLayers).Select(_ => encoderLayer.Clone())];
        Norm = norm;
        NumLayers = numLayers;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor src) => Forward(src, null);

    /// <summary><see cref="Forward(Tensor, Tensor?, Tensor?, bool)"/> with the module's hooks.</summary>
    public Tensor Call(Tensor src, Tensor? mask, Tensor? srcKeyPaddingMask = null, bool isCausal = false) =>
        CallWithHooks(src, x => Forward(x, mask, srcKeyPaddingMask, isCausal));

    /// <summary>Runs every layer in turn, then the normalisation.</summary>
    /// <param name="src">The sequence.</param>
    /// <param name="mask">Attention mask [S, S] or [N·nhead, S, S], or null.</param>
    /// <param name="srcKeyPaddingMask">Key padding mask [N, S], or null.</param>
    /// <param name="isCausal">A hint that mask is the causal mask.</param>
    public Tensor Forward(Tensor src, Tensor? mask, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        var output = src;
        foreach (TransformerEncoderLayer layer in Layers)
            output = layer.Call(output, mask, srcKeyPaddingMask, isCausal);
        return Norm is null ? output : Norm.Call(output);
    }
}
