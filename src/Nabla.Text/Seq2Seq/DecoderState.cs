namespace Nabla.Text.Seq2Seq;

/// <summary>
/// What a <see cref="Decoder"/> carries from one call to the next (the hidden state, the encoder's
/// outputs, the tokens decoded so far): a batch of N sentences whose rows can be picked out, which
/// beam search does to follow its best hypotheses.
/// </summary>
public abstract class DecoderState
{
    /// <summary>The state of the rows <paramref name="rows"/> (Int64 [M], indices into the batch), in that order.</summary>
    public abstract DecoderState Select(Tensor rows);

    /// <summary>
    /// The attention weights of the decoder call that produced this state, [N, steps of that call, source steps];
    /// null for decoders without attention.
    /// </summary>
    public virtual Tensor? AttentionWeights => null;
}
