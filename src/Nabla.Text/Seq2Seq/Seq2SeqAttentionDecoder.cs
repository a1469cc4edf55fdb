using Nabla.NN;

namespace Nabla.Text.Seq2Seq;

/// <summary>
/// d2l's decoder with Bahdanau attention (§10.4, Bahdanau et al. 2015): at every step the query, the
/// decoder's top-layer hidden state, attends over the encoder's outputs at the valid source positions
/// (<see cref="AdditiveAttention"/>); the context it returns is concatenated with the embedded input token and
/// fed to a GRU, and a dense layer gives the logits. The state carries the attention weights of every step.
/// Parameters named as the course's: <c>attention.W_k.weight</c>, <c>embedding.weight</c>, <c>rnn.*</c>, <c>dense.*</c>.
/// Shape: x Int64 [N, T] → logits [N, T, V]; attention weights [N, T, S].
/// </summary>
public sealed class Seq2SeqAttentionDecoder : Decoder
{
    /// <summary>Additive attention of the hidden state over the encoder's outputs (key, query and hidden sizes H).</summary>
    public AdditiveAttention Attention { get; }

    /// <summary>Token embeddings [V, E].</summary>
    public Embedding Embedding { get; }

    /// <summary>The GRU over [context; embedding] (input H + E).</summary>
    public GRU Rnn { get; }

    /// <summary>The output layer [H → V].</summary>
    public Linear Dense { get; }

    /// <summary>Creates the decoder.</summary>
    /// <param name="vocabSize">Target vocabulary size V.</param>
    /// <param name="embedSize">Embedding size E.</param>
    /// <param name="numHiddens">Hidden units H of each GRU layer (the encoder's).</param>
    /// <param name="numLayers">Stacked GRU layers (the encoder's).</param>
    /// <param name="dropout">Dropout between GRU layers and on the attention weights in training mode.</param>
    public Seq2SeqAttentionDecoder(int vocabSize, int embedSize, int numHiddens, int numLayers, double dropout = 0)
    {
        Attention = new AdditiveAttention(numHiddens, numHiddens, numHiddens, dropout);
        Embedding = new Embedding(vocabSize, embedSize);
        Rnn = new GRU(embedSize + numHiddens, numHiddens, numLayers, dropout: dropout);
        Dense = new Linear(numHiddens, vocabSize);
    }

    /// <inheritdoc/>
    /// <remarks>The encoder's outputs must be time-major [S, N, H] with state [layers, N, H] (<see cref="Seq2SeqEncoder"/>).</remarks>
    public override DecoderState InitState(EncoderOutput encoded, Tensor? encValidLens)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (encoded.State is null || encoded.Outputs.Rank != 3)
            throw new ArgumentException($"Seq2SeqAttentionDecoder: needs a recurrent encoder's time-major outputs [S, N, H] and final state, got outputs {encoded.Outputs.Shape}{(encoded.State is null ? " and no state" : "")}.", nameof(encoded));
        return new State(encoded.Outputs.Permute(1, 0, 2), encoded.State, encValidLens, null);
    }

    /// <inheritdoc/>
    public override (Tensor Output, DecoderState State) Forward(Tensor x, DecoderState state)
    {
        if (state is not State s) throw new ArgumentException($"Seq2SeqAttentionDecoder: the state must come from its own InitState, got {state?.GetType().Name ?? "null"}.", nameof(state));
        if (x.Rank != 2) throw new ShapeException($"Seq2SeqAttentionDecoder: x must be [batch, steps] token indices, got {x.Shape}.");
        var embedded = Embedding.Forward(x).Permute(1, 0, 2); // [T, N, E]
        var hidden = s.Hidden;
        var outputs = new List<Tensor>();
        var weights = new List<Tensor>();
        for (int t = 0; t < embedded.Size(0); t++)
        {
            var query = hidden[-1].Unsqueeze(1); // [N, 1, H]
            var context = Attention.Forward(query, s.EncOutputs, s.EncOutputs, s.EncValidLens); // [N, 1, H]
            var input = Tensor.Cat([context, embedded[t].Unsqueeze(1)], -1); // [N, 1, H + E]
            (var output, hidden) = Rnn.Forward(input.Permute(1, 0, 2), hidden);
            outputs.Add(output);
            weights.Add(Attention.AttentionWeights!); // [N, 1, S]
        }
        var logits = Dense.Forward(Tensor.Cat(outputs, 0)).Permute(1, 0, 2);
        return (logits, new State(s.EncOutputs, hidden, s.EncValidLens, Tensor.Cat(weights, 1)));
    }

    // Encoder outputs [N, S, H], GRU state [layers, N, H], source valid lengths [N], last call's weights [N, T, S].
    sealed class State(Tensor encOutputs, Tensor hidden, Tensor? encValidLens, Tensor? attentionWeights) : DecoderState
    {
        public Tensor EncOutputs { get; } = encOutputs;

        public Tensor Hidden { get; } = hidden;

        public Tensor? EncValidLens { get; } = encValidLens;

        public override Tensor? AttentionWeights { get; } = attentionWeights;

        public override DecoderState Select(Tensor rows) =>
            new State(EncOutputs.IndexSelect(0, rows), Hidden.IndexSelect(1, rows), EncValidLens?.IndexSelect(0, rows), AttentionWeights?.IndexSelect(0, rows));
    }
}
