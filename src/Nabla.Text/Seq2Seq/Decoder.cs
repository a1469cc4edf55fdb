using Nabla.NN;

namespace Nabla.Text.Seq2Seq;

/// <summary>
/// The decoder of an encoder–decoder (d2l §9.6 <c>Decoder</c>): its state starts from the encoder's
/// output, and each call predicts the next tokens from the given ones (all target steps at once under
/// teacher forcing, one step at a time when translating).
/// </summary>
public abstract class Decoder : Module
{
    /// <summary>The state before the first target token (d2l's <c>init_state</c>).</summary>
    /// <param name="encoded">The encoder's output.</param>
    /// <param name="encValidLens">Tokens of each source before its padding, Int64 [N]; attention masks the rest.</param>
    public abstract DecoderState InitState(EncoderOutput encoded, Tensor? encValidLens);

    /// <summary>Logits of the token after each of <paramref name="x"/>, continuing from <paramref name="state"/>.</summary>
    /// <param name="x">Target token indices Int64 [N, T].</param>
    /// <param name="state">The state after the tokens before <paramref name="x"/>.</param>
    /// <returns>Logits [N, T, V] and the state after <paramref name="x"/>.</returns>
    public abstract (Tensor Output, DecoderState State) Forward(Tensor x, DecoderState state);
}
