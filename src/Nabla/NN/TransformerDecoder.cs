namespace Nabla.NN;

/// <summary>
/// A stack of <see cref="TransformerDecoderLayer"/>s (<c>nn.TransformerDecoder</c>): numLayers copies of the given
/// layer, each attending to the same memory with the same masks, then the optional final normalisation.
/// Parameter names: <c>layers.0.self_attn.in_proj_weight</c>, <c>layers.0.multihead_attn.*</c>, …, <c>norm.weight</c>.
/// Shape: as <see cref="TransformerDecoderLayer"/>: tgt [T, N, E], memory [S, N, E] → [T, N, E].
/// </summary>
public sealed class TransformerDecoder : Module<(Tensor Tgt, Tensor Memory), Tensor>
{
    /// <summary>The layers, each a copy of the layer given to the constructor.</summary>
    public ModuleList Layers { get; }

    /// <summary>The normalisation after the last layer, or null.</summary>
    public LayerNorm? Norm { get; }

    /// <summary>Number of layers.</summary>
    public int NumLayers { get; }

    /// <summary>Stacks <paramref name="numLayers"/> copies of <paramref name="decoderLayer"/>.</summary>
    /// <param name="decoderLayer">The layer to copy (itself not part of the stack).</param>
    /// <param name="numLayers">Number of copies.</param>
    /// <param name="norm">A normalisation applied to the output, or null.</param>
    public TransformerDecoder(TransformerDecoderLayer decoderLayer, int numLayers, LayerNorm? norm = null)
    {
        if (numLayers < 1) throw new ArgumentException($"TransformerDecoder: numLayers must be positive, got {numLayers}.", nameof(numLayers));
        Layers = [.. Enumerable.Range(0, numLayers).Select(_ => decoderLayer.Clone())];
        Norm = norm;
        NumLayers = numLayers;
    }

    /// <inheritdoc/>
    public override Tensor Forward((Tensor Tgt, Tensor Memory) input) => Forward(input.Tgt, input.Memory);

    /// <summary><see cref="Forward(Tensor, Tensor, Tensor?, Tensor?, Tensor?, Tensor?, bool, bool)"/> with the module's hooks.</summary>
    public Tensor Call(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false) =>
        CallWithHooks((tgt, memory), input => Forward(input.Item1, input.Item2, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal));

    /// <summary>Runs every layer in turn, then the normalisation.</summary>
    /// <param name="tgt">The target sequence.</param>
    /// <param name="memory">The encoder's output.</param>
    /// <param name="tgtMask">Self-attention mask [T, T], or null.</param>
    /// <param name="memoryMask">Memory attention mask [T, S], or null.</param>
    /// <param name="tgtKeyPaddingMask">Target key padding mask [N, T], or null.</param>
    /// <param name="memoryKeyPaddingMask">Memory key padding mask [N, S], or null.</param>
    /// <param name="tgtIsCausal">A hint that tgtMask is the causal mask.</param>
    /// <param name="memoryIsCausal">A hint that memoryMask is the causal mask.</param>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        var output = tgt;
        foreach (TransformerDecoderLayer layer in Layers)
            output = layer.Call(output, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal);
        return Norm is null ? output : Norm.Call(output);
    }
}
