namespace Nabla.Text.Bert;

/// <summary>
/// One pre-training example before padding (an element of d2l's <c>_WikiTextDataset</c>): the
/// token ids of <c>&lt;cls&gt; A &lt;sep&gt; B &lt;sep&gt;</c> after masking, their segment ids, the
/// positions chosen for prediction (ascending) with the original tokens there, and whether B
/// really follows A.
/// </summary>
/// <param name="TokenIds">The masked input ids, <c>&lt;cls&gt;</c> first; its length is the valid length.</param>
/// <param name="Segments">0 for <c>&lt;cls&gt; A &lt;sep&gt;</c>, 1 for <c>B &lt;sep&gt;</c>.</param>
/// <param name="PredPositions">Positions to predict, ascending (never <c>&lt;cls&gt;</c> or <c>&lt;sep&gt;</c>).</param>
/// <param name="MlmLabels">The original ids at <paramref name="PredPositions"/>.</param>
/// <param name="IsNext">Whether B is A's next sentence (the NSP label 1) or a random one (0).</param>
public sealed record BertExample(int[] TokenIds, int[] Segments, int[] PredPositions, int[] MlmLabels, bool IsNext);
