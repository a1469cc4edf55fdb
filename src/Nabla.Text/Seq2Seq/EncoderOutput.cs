namespace Nabla.Text.Seq2Seq;

/// <summary>What an <see cref="Encoder"/> hands to its decoder's <see cref="Decoder.InitState"/>.</summary>
/// <param name="Outputs">The encoder's output at every step; its layout is the encoder's (documented there).</param>
/// <param name="State">A recurrent encoder's final state [layers, N, H]; null for encoders without one.</param>
public sealed record EncoderOutput(Tensor Outputs, Tensor? State = null);
