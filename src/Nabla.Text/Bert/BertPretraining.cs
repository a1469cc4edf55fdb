using Nabla.NN;

namespace Nabla.Text.Bert;

/// <summary>
/// The pre-training objective and its held-out measures (d2l §15.10): the MLM loss is the mean
/// cross-entropy over the used prediction slots (weights 1; d2l's code multiplies an already
/// averaged loss by the weights, which reduces to a plain mean over all slots — this is the
/// weighted mean it means), the NSP loss the mean cross-entropy of the two classes; the training
/// loss is their sum.
/// </summary>
public static class BertPretraining
{
    /// <summary>d2l's <c>_get_batch_loss_bert</c>: the MLM and NSP losses of one batch (scalars with gradients).</summary>
    public static (Tensor Mlm, Tensor Nsp) BatchLoss(BertModel model, BertBatch batch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        var (_, mlmLogits, nspLogits) = model.Forward(batch.TokenIds, batch.Segments, batch.ValidLens, batch.PredPositions);
        Tensor weights = batch.MlmWeights.Reshape(-1);
        Tensor each = Functional.CrossEntropy(mlmLogits!.Reshape(-1, model.Config.VocabSize), batch.MlmLabels.Reshape(-1), reduction: Reduction.None);
        Tensor mlm = (each * weights).Sum() / (weights.Sum() + 1e-8);
        Tensor nsp = Functional.CrossEntropy(nspLogits, batch.NspLabels);
        return (mlm, nsp);
    }

    /// <summary>
    /// The model's held-out measures over all of <paramref name="data"/> (eval mode, no gradients,
    /// batches of <paramref name="batchSize"/>), and the MLM loss and accuracy of a model that always
    /// predicts the token frequencies of <paramref name="frequencies"/> (the unigram baseline).
    /// </summary>
    /// <param name="model">The model; left in eval mode.</param>
    /// <param name="data">The held-out examples.</param>
    /// <param name="frequencies">Counts of each vocabulary index in the training text, add-one smoothed here; null: no baseline.</param>
    /// <param name="batchSize">Examples per forward pass.</param>
    public static BertEvaluation Evaluate(BertModel model, BertPretrainingDataset data, IReadOnlyList<long>? frequencies = null, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        model.Eval();
        double mlmLossSum = 0, nspLossSum = 0;
        long slots = 0, mlmCorrect = 0, nspCorrect = 0;
        using (Autograd.NoGrad())
        {
            for (int start = 0; start < data.Count; start += batchSize)
            {
                int count = Math.Min(batchSize, data.Count - start);
                int[] indices = [.. Enumerable.Range(start, count)];
                BertBatch batch = data.GetBatch(indices);
                var (_, mlmLogits, nspLogits) = model.Forward(batch.TokenIds, batch.Segments, batch.ValidLens, batch.PredPositions);
                Tensor flat = mlmLogits!.Reshape(-1, model.Config.VocabSize);
                float[] each = Functional.CrossEntropy(flat, batch.MlmLabels.Reshape(-1), reduction: Reduction.None).ToArray<float>();
                long[] predicted = flat.ArgMax(1).ToArray<long>();
                long[] labels = batch.MlmLabels.ToArray<long>();
                float[] weights = batch.MlmWeights.ToArray<float>();
                for (int k = 0; k < weights.Length; k++)
                {
                    if (weights[k] == 0) continue;
                    slots++;
                    mlmLossSum += each[k];
                    if (predicted[k] == labels[k]) mlmCorrect++;
                }
                nspLossSum += Functional.CrossEntropy(nspLogits, batch.NspLabels, reduction: Reduction.Sum).Item<float>();
                long[] nspPredicted = nspLogits.ArgMax(1).ToArray<long>();
                long[] nspLabels = batch.NspLabels.ToArray<long>();
                for (int i = 0; i < count; i++)
                {
                    if (nspPredicted[i] == nspLabels[i]) nspCorrect++;
                }
            }
        }
        double? baselineLoss = null, baselineAccuracy = null;
        if (frequencies is not null)
        {
            (baselineLoss, baselineAccuracy) = FrequencyBaseline(data, frequencies);
        }
        return new BertEvaluation(data.Count, slots, mlmLossSum / slots, (double)mlmCorrect / slots, nspLossSum / data.Count, (double)nspCorrect / data.Count,
            baselineLoss, baselineAccuracy);
    }

    /// <summary>
    /// How often each vocabulary index occurs in the examples' text before masking, <c>&lt;cls&gt;</c> and
    /// <c>&lt;sep&gt;</c> left out: the token frequencies of the unigram baseline.
    /// </summary>
    public static long[] TokenCounts(BertPretrainingDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var counts = new long[data.Vocab.Count];
        int cls = data.Vocab[BertPretrainingDataset.ClsToken], sep = data.Vocab[BertPretrainingDataset.SepToken];
        foreach (BertExample example in data.Examples)
        {
            int[] ids = (int[])example.TokenIds.Clone();
            for (int k = 0; k < example.PredPositions.Length; k++) ids[example.PredPositions[k]] = example.MlmLabels[k];
            foreach (int id in ids)
            {
                if (id != cls && id != sep) counts[id]++;
            }
        }
        return counts;
    }

    // −mean log p(label) with p the add-one-smoothed frequencies; the accuracy of always naming the most frequent token.
    static (double Loss, double Accuracy) FrequencyBaseline(BertPretrainingDataset data, IReadOnlyList<long> frequencies)
    {
        if (frequencies.Count != data.Vocab.Count)
            throw new ArgumentException($"BertPretraining.Evaluate: {frequencies.Count} frequencies for a vocabulary of {data.Vocab.Count} tokens.", nameof(frequencies));
        double total = frequencies.Sum() + frequencies.Count;
        int mostFrequent = 0;
        for (int i = 1; i < frequencies.Count; i++)
        {
            if (frequencies[i] > frequencies[mostFrequent]) mostFrequent = i;
        }
        double lossSum = 0;
        long slots = 0, correct = 0;
        foreach (BertExample example in data.Examples)
        {
            foreach (int label in example.MlmLabels)
            {
                lossSum -= Math.Log((frequencies[label] + 1) / total);
                slots++;
                if (label == mostFrequent) correct++;
            }
        }
        return (lossSum / slots, (double)correct / slots);
    }
}
