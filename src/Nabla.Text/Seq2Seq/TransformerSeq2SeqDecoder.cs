using Nabla.NN;

namespace Nabla.Text.Seq2Seq;

/// <summary>
/// The course's Transformer decoder (d2l §10.7.5) built from Nabla's PyTorch-style layers: token embeddings scaled
/// by √d, <see cref="PositionalEncoding"/>, <c>numLayers</c> post-norm <see cref="TransformerDecoderLayer"/>s
/// (causal self-attention, attention over the encoder's valid positions) and a dense layer to the vocabulary.
/// The state keeps the tokens decoded so far; each call runs the blocks over all of them with the causal mask,
/// which gives what d2l's cache of past keys and values gives. In evaluation mode the state also carries the
/// attention weights over the source of the last block, averaged over the heads.
/// Shape: x Int64 [N, T] → logits [N, T, V]; attention weights [N, T, S].
/// </summary>
public sealed class TransformerSeq2SeqDecoder : Decoder
{
    /// <summary>Token embeddings [V, d].</summary>
    public Embedding Embedding { get; }

    /// <summary>The sinusoidal positions, added after scaling the embeddings by √d, and dropout.</summary>
    public PositionalEncoding PosEncoding { get; }

    /// <summary>The decoder blocks (d2l's <c>blks</c>).</summary>
    public ModuleList Blks { get; }

    /// <summary>The output layer [d → V].</summary>
    public Linear Dense { get; }

    /// <summary>d, the features of every position.</summary>
    public int NumHiddens { get; }

    /// <summary>Creates the decoder; every block is initialised independently.</summary>
    /// <param name="vocabSize">Target vocabulary size V.</param>
    /// <param name="numHiddens">d_model (d2l: 32).</param>
    /// <param name="ffnNumHiddens">Width of each block's feed-forward network (d2l: 64).</param>
    /// <param name="numHeads">Attention heads (d2l: 4).</param>
    /// <param name="numLayers">Blocks (d2l: 2).</param>
    /// <param name="dropout">Dropout everywhere (d2l: 0.1).</param>
    public TransformerSeq2SeqDecoder(int vocabSize, int numHiddens, int ffnNumHiddens, int numHeads, int numLayers, double dropout = 0)
    {
        NumHiddens = numHiddens;
        Embedding = new Embedding(vocabSize, numHiddens);
        PosEncoding = new PositionalEncoding(numHiddens, dropout);
        Blks = new ModuleList();
        for (int i = 0; i < numLayers; i++) Blks.Add(new TransformerDecoderLayer(numHiddens, numHeads, ffnNumHiddens, dropout, batchFirst: true));
        Dense = new Linear(numHiddens, vocabSize);
    }

    /// <inheritdoc/>
    /// <remarks>The encoder's outputs must be batch-first [N, S, d] (<see cref="TransformerSeq2SeqEncoder"/>).</remarks>
    public override DecoderState InitState(EncoderOutput encoded, Tensor? encValidLens)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (encoded.Outputs.Rank != 3 || encoded.Outputs.Size(2) != NumHiddens)
            throw new ArgumentException($"TransformerSeq2SeqDecoder: needs the Transformer encoder's outputs [N, S, {NumHiddens}], got {encoded.Outputs.Shape}.", nameof(encoded));
        var padding = encValidLens is null ? null : TransformerSeq2SeqEncoder.PaddingMask(encoded.Outputs.Size(1), encValidLens);
        return new State(encoded.Outputs, padding, null, null);
    }

    /// <inheritdoc/>
    public override (Tensor Output, DecoderState State) Forward(Tensor x, DecoderState state)
    {
        if (state is not State s) throw new ArgumentException($"TransformerSeq2SeqDecoder: the state must come from its own InitState, got {state?.GetType().Name ?? "null"}.", nameof(state));
        if (x.Rank != 2) throw new ShapeException($"TransformerSeq2SeqDecoder: x must be [batch, steps] token indices, got {x.Shape}.");
        var tokens = s.Tokens is null ? x : Tensor.Cat([s.Tokens, x], 1);
        int steps = tokens.Size(1), before = steps - x.Size(1);
        var causal = Transformer.GenerateSquareSubsequentMask(steps);
        var hidden = PosEncoding.Forward(Embedding.Forward(tokens) * Math.Sqrt(NumHiddens));
        Tensor? weights = null;
        var last = (TransformerDecoderLayer)Blks[Blks.Count - 1];
        // The layers do not return their weights (as PyTorch's); in evaluation mode the last block's memory
        // attention is run once more on the same inputs, with weights.
        using (Training ? null : last.MultiheadAttn.RegisterForwardHook((_, input, _) =>
        {
            var (query, key, value) = ((Tensor, Tensor, Tensor))input!;
            weights = last.MultiheadAttn.Forward(query, key, value, s.MemoryPadding, needWeights: true).Weights;
        }))
        {
            foreach (var block in Blks)
                hidden = ((TransformerDecoderLayer)block).Forward(hidden, s.Memory, causal, null, null, s.MemoryPadding, tgtIsCausal: true);
        }
        var logits = Dense.Forward(before == 0 ? hidden : hidden[.., before..]);
        return (logits, new State(s.Memory, s.MemoryPadding, tokens, weights is null || before == 0 ? weights : weights[.., before..]));
    }

    // Encoder outputs [N, S, d], its padding mask [N, S], the tokens decoded so far [N, t], the last call's weights [N, T, S].
    sealed class State(Tensor memory, Tensor? memoryPadding, Tensor? tokens, Tensor? attentionWeights) : DecoderState
    {
        public Tensor Memory { get; } = memory;

        public Tensor? MemoryPadding { get; } = memoryPadding;

        public Tensor? Tokens { get; } = tokens;

        public override Tensor? AttentionWeights { get; } = attentionWeights;

        public override DecoderState Select(Tensor rows) =>
            new State(Memory.IndexSelect(0, rows), MemoryPadding?.IndexSelect(0, rows), Tokens?.IndexSelect(0, rows), AttentionWeights?.IndexSelect(0, rows));
    }
}
