namespace Nabla.Text.Seq2Seq;

/// <summary>
/// A source sentence of the held-out test set with every translation the data set gives for it
/// (the references of a multi-reference BLEU).
/// </summary>
/// <param name="Source">The source tokens.</param>
/// <param name="References">Each translation's tokens, in the order of the data file.</param>
public sealed record HeldOutSentence(string[] Source, IReadOnlyList<string[]> References);
