namespace Nabla.Text.Bert;

/// <summary>
/// A padded minibatch of BERT pre-training examples (d2l's seven tensors, plus the padding mask
/// the Transformer layers take). B examples of <c>MaxLen</c> positions with P = round(0.15 · MaxLen)
/// prediction slots each.
/// </summary>
/// <param name="TokenIds">[B, MaxLen] int64, <c>&lt;pad&gt;</c> after the valid length.</param>
/// <param name="Segments">[B, MaxLen] int64, 0 on the padding.</param>
/// <param name="ValidLens">[B] int64: tokens before the padding.</param>
/// <param name="PaddingMask">[B, MaxLen] bool, true on the padding (PyTorch's <c>src_key_padding_mask</c>).</param>
/// <param name="PredPositions">[B, P] int64, 0 in unused slots.</param>
/// <param name="MlmWeights">[B, P] float32: 1 on used slots, 0 on unused ones.</param>
/// <param name="MlmLabels">[B, P] int64, 0 in unused slots.</param>
/// <param name="NspLabels">[B] int64: 1 when the second sentence is the real next one.</param>
public sealed record BertBatch(
    Tensor TokenIds, Tensor Segments, Tensor ValidLens, Tensor PaddingMask,
    Tensor PredPositions, Tensor MlmWeights, Tensor MlmLabels, Tensor NspLabels)
{
    /// <summary>Examples in the batch.</summary>
    public int Count => TokenIds.Size(0);
}
