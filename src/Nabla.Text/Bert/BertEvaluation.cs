namespace Nabla.Text.Bert;

/// <summary>Held-out pre-training measures (<see cref="BertPretraining.Evaluate"/>).</summary>
/// <param name="Examples">Sentence pairs evaluated.</param>
/// <param name="Predictions">MLM slots with weight 1.</param>
/// <param name="MlmLoss">Mean cross-entropy of the MLM predictions.</param>
/// <param name="MlmAccuracy">Share of MLM predictions whose arg-max is the original token.</param>
/// <param name="NspLoss">Mean cross-entropy of the NSP predictions.</param>
/// <param name="NspAccuracy">Share of pairs whose NSP arg-max is right.</param>
/// <param name="FrequencyBaselineLoss">MLM loss of always predicting the training token frequencies; null when not asked.</param>
/// <param name="FrequencyBaselineAccuracy">MLM accuracy of always predicting the most frequent training token; null when not asked.</param>
public sealed record BertEvaluation(int Examples, long Predictions, double MlmLoss, double MlmAccuracy, double NspLoss, double NspAccuracy,
    double? FrequencyBaselineLoss, double? FrequencyBaselineAccuracy);
