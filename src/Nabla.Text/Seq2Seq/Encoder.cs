using Nabla.NN;

namespace Nabla.Text.Seq2Seq;

/// <summary>
/// The encoder of an encoder–decoder (d2l §9.6 <c>Encoder</c>): reads a batch of source sentences
/// into what the decoder's <see cref="Decoder.InitState"/> needs.
/// </summary>
public abstract class Encoder : Module
{
    /// <summary>Encodes <paramref name="x"/>.</summary>
    /// <param name="x">Source token indices Int64 [N, T].</param>
    /// <param name="validLens">Tokens of each source before its padding, Int64 [N]; encoders that do not mask may ignore it.</param>
    public abstract EncoderOutput Forward(Tensor x, Tensor? validLens = null);
}
