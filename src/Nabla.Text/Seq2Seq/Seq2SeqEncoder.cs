using Nabla.NN;

namespace Nabla.Text.Seq2Seq;

/// <summary>
/// d2l's RNN encoder for sequence-to-sequence learning (§9.7.1): an embedding, then a multi-layer GRU.
/// Parameters <c>embedding.weight</c> and <c>rnn.*</c>, as the course names them.
/// Shape: x Int64 [N, T] → outputs [T, N, H] (time-major) and state [layers, N, H].
/// </summary>
public sealed class Seq2SeqEncoder : Encoder
{
    /// <summary>Token embeddings [V, E].</summary>
    public Embedding Embedding { get; }

    /// <summary>The GRU over the embeddings.</summary>
    public GRU Rnn { get; }

    /// <summary>Creates the encoder.</summary>
    /// <param name="vocabSize">Source vocabulary size V.</param>
    /// <param name="embedSize">Embedding size E.</param>
    /// <param name="numHiddens">Hidden units H of each GRU layer.</param>
    /// <param name="numLayers">Stacked GRU layers.</param>
    /// <param name="dropout">Dropout between GRU layers in training mode.</param>
    public Seq2SeqEncoder(int vocabSize, int embedSize, int numHiddens, int numLayers, double dropout = 0)
    {
        Embedding = new Embedding(vocabSize, embedSize);
        Rnn = new GRU(embedSize, numHiddens, numLayers, dropout: dropout);
    }

    /// <summary>Encodes <paramref name="x"/>; the GRU runs over the padding too (the course does not mask it), so <paramref name="validLens"/> is not used.</summary>
    public override EncoderOutput Forward(Tensor x, Tensor? validLens = null)
    {
        if (x.Rank != 2) throw new ShapeException($"Seq2SeqEncoder: x must be [batch, steps] token indices, got {x.Shape}.");
        var embedded = Embedding.Forward(x).Permute(1, 0, 2); // [T, N, E]: the GRU is time-major
        var (output, state) = Rnn.Forward(embedded, null);
        return new EncoderOutput(output, state);
    }
}
