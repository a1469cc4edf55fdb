using Nabla.NN;

namespace Nabla.Text.Seq2Seq;

/// <summary>
/// d2l's <c>EncoderDecoder</c> (§9.6): the encoder reads the source, the decoder's state starts from
/// its output, and the decoder predicts the target.
/// Shape: source [N, S], decoder input [N, T] (Int64 token indices), source valid lengths [N] → logits [N, T, V].
/// </summary>
public class EncoderDecoder : Module
{
    /// <summary>The encoder (state-dict prefix <c>encoder.</c>).</summary>
    public Encoder Encoder { get; }

    /// <summary>The decoder (state-dict prefix <c>decoder.</c>).</summary>
    public Decoder Decoder { get; }

    /// <summary>Joins <paramref name="encoder"/> and <paramref name="decoder"/>.</summary>
    public EncoderDecoder(Encoder encoder, Decoder decoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(decoder);
        Encoder = encoder;
        Decoder = decoder;
    }

    /// <summary>Logits for <paramref name="decX"/> (teacher forcing: the target shifted right behind &lt;bos&gt;) given the source <paramref name="encX"/>.</summary>
    /// <param name="encX">Source token indices Int64 [N, S].</param>
    /// <param name="decX">Decoder input token indices Int64 [N, T].</param>
    /// <param name="encValidLens">Tokens of each source before its padding, Int64 [N].</param>
    public (Tensor Output, DecoderState State) Forward(Tensor encX, Tensor decX, Tensor? encValidLens = null)
    {
        if (encX.Rank != 2 || decX.Rank != 2 || encX.Size(0) != decX.Size(0))
            throw new ShapeException($"EncoderDecoder: the source and decoder input must be [N, S] and [N, T] token indices of the same batch, got {encX.Shape} and {decX.Shape}.");
        var encoded = Encoder.Forward(encX, encValidLens);
        var state = Decoder.InitState(encoded, encValidLens);
        return Decoder.Forward(decX, state);
    }
}
