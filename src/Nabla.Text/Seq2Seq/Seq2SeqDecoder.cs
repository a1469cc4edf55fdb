using Nabla.NN;

namespace Nabla.Text.Seq2Seq;

/// <summary>
/// d2l's RNN decoder for sequence-to-sequence learning (§9.7.2): at every step the embedded input token
/// is concatenated with the context variable c, the encoder's last top-layer output, and fed to a GRU
/// whose state starts from the encoder's final state; a dense layer gives the logits. The context stays
/// the encoder's summary for every step, as in Cho et al. (2014) and d2l 1.0 (d2l 0.17 re-read it from
/// the decoder's own changing state).
/// Shape: x Int64 [N, T] → logits [N, T, V].
/// </summary>
public sealed class Seq2SeqDecoder : Decoder
{
    /// <summary>Token embeddings [V, E].</summary>
    public Embedding Embedding { get; }

    /// <summary>The GRU over [embedding; context] (input E + H).</summary>
    public GRU Rnn { get; }

    /// <summary>The output layer [H → V].</summary>
    public Linear Dense { get; }

    /// <summary>Creates the decoder.</summary>
    /// <param name="vocabSize">Target vocabulary size V.</param>
    /// <param name="embedSize">Embedding size E.</param>
    /// <param name="numHiddens">Hidden units H of each GRU layer (the encoder's).</param>
    /// <param name="numLayers">Stacked GRU layers (the encoder's).</param>
    /// <param name="dropout">Dropout between GRU layers in training mode.</param>
    public Seq2SeqDecoder(int vocabSize, int embedSize, int numHiddens, int numLayers, double dropout = 0)
    {
        Embedding = new Embedding(vocabSize, embedSize);
        Rnn = new GRU(embedSize + numHiddens, numHiddens, numLayers, dropout: dropout);
        Dense = new Linear(numHiddens, vocabSize);
    }

    /// <inheritdoc/>
    /// <remarks>The encoder's outputs must be time-major [T, N, H] with state [layers, N, H] (<see cref="Seq2SeqEncoder"/>).</remarks>
    public override DecoderState InitState(EncoderOutput encoded, Tensor? encValidLens)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (encoded.State is null || encoded.Outputs.Rank != 3)
            throw new ArgumentException($"Seq2SeqDecoder: needs a recurrent encoder's time-major outputs [T, N, H] and final state, got outputs {encoded.Outputs.Shape}{(encoded.State is null ? " and no state" : "")}.", nameof(encoded));
        return new State(encoded.Outputs[-1], encoded.State);
    }

    /// <inheritdoc/>
    public override (Tensor Output, DecoderState State) Forward(Tensor x, DecoderState state)
    {
        if (state is not State s) throw new ArgumentException($"Seq2SeqDecoder: the state must come from its own InitState, got {state?.GetType().Name ?? "null"}.", nameof(state));
        if (x.Rank != 2) throw new ShapeException($"Seq2SeqDecoder: x must be [batch, steps] token indices, got {x.Shape}.");
        var embedded = Embedding.Forward(x).Permute(1, 0, 2); // [T, N, E]
        var context = s.Context.Unsqueeze(0).Expand(embedded.Size(0), -1, -1); // [T, N, H]
        var (output, hidden) = Rnn.Forward(Tensor.Cat([embedded, context], 2), s.Hidden);
        return (Dense.Forward(output).Permute(1, 0, 2), new State(s.Context, hidden));
    }

    // Context [N, H], the GRU's state [layers, N, H].
    sealed class State(Tensor context, Tensor hidden) : DecoderState
    {
        public Tensor Context { get; } = context;

        public Tensor Hidden { get; } = hidden;

        public override DecoderState Select(Tensor rows) => new State(Context.IndexSelect(0, rows), Hidden.IndexSelect(1, rows));
    }
}
