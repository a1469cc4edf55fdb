namespace Nabla.Text.Seq2Seq;

/// <summary>
/// BLEU (Papineni et al., 2002): how many of a translation's n-grams appear in its reference(s).
/// <see cref="Score"/> is the course's sentence score (d2l §9.7.5); <see cref="Corpus"/> is the standard
/// corpus BLEU-4 of machine-translation papers.
/// </summary>
public static class Bleu
{
    /// <summary>
    /// d2l's <c>bleu(pred_seq, label_seq, k)</c>: exp(min(0, 1 − len_label/len_pred)) · Π_{n=1..k} p_n^(1/2ⁿ), where
    /// p_n is the share of the prediction's n-grams matched (each label n-gram matches once). Tokens are split on
    /// spaces. An empty prediction, or one with fewer than <paramref name="k"/> tokens (no n-grams of order k, where
    /// the course's code divides by zero), scores 0.
    /// </summary>
    /// <param name="predSeq">The predicted sentence, tokens separated by spaces.</param>
    /// <param name="labelSeq">The reference sentence, tokens separated by spaces.</param>
    /// <param name="k">The longest n-gram order; at least 1 (the course uses 2).</param>
    public static double Score(string predSeq, string labelSeq, int k)
    {
        ArgumentNullException.ThrowIfNull(predSeq);
        ArgumentNullException.ThrowIfNull(labelSeq);
        if (k < 1) throw new ArgumentException($"Bleu.Score: k must be at least 1, got {k}.", nameof(k));
        var pred = predSeq.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var label = labelSeq.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (pred.Length < k) return 0;
        double score = Math.Exp(Math.Min(0, 1 - (double)label.Length / pred.Length));
        for (int n = 1; n <= k; n++)
        {
            var labelCounts = NGramCounts(label, n);
            int matches = 0;
            foreach (var gram in NGrams(pred, n))
            {
                if (labelCounts.TryGetValue(gram, out int left) && left > 0)
                {
                    matches++;
                    labelCounts[gram] = left - 1;
                }
            }
            score *= Math.Pow((double)matches / (pred.Length - n + 1), Math.Pow(0.5, n));
        }
        return score;
    }

    /// <summary>
    /// Corpus BLEU (Papineni et al., 2002), as sacreBLEU and NLTK's <c>corpus_bleu</c> compute it without smoothing:
    /// BP · exp(Σ_{n=1..N} log(p_n) / N), where p_n sums over the corpus each hypothesis' n-gram counts clipped by the
    /// largest count of that n-gram in one of its references, divided by the hypothesis n-grams; the brevity penalty
    /// BP = exp(1 − r/c) when the total hypothesis length c is below r, the sum of each hypothesis' closest reference
    /// length (the shorter on a tie), else 1. Zero when some p_n is 0.
    /// </summary>
    /// <param name="hypotheses">The translations, as tokens.</param>
    /// <param name="references">For each translation, one or more reference translations, as tokens.</param>
    /// <param name="maxOrder">N, the longest n-gram order (4 for BLEU-4).</param>
    public static double Corpus(IReadOnlyList<IReadOnlyList<string>> hypotheses, IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> references, int maxOrder = 4)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"Bleu.Corpus: {hypotheses.Count} hypotheses but {references.Count} reference lists.", nameof(references));
        if (maxOrder < 1) throw new ArgumentException($"Bleu.Corpus: maxOrder must be at least 1, got {maxOrder}.", nameof(maxOrder));
        var matches = new long[maxOrder];
        var totals = new long[maxOrder];
        long hypothesisLength = 0, referenceLength = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            var hypothesis = hypotheses[i];
            var refs = references[i];
            if (refs.Count == 0) throw new ArgumentException($"Bleu.Corpus: hypothesis {i} has no reference.", nameof(references));
            hypothesisLength += hypothesis.Count;
            referenceLength += refs.Select(r => r.Count).OrderBy(length => Math.Abs(length - hypothesis.Count)).ThenBy(length => length).First();
            for (int n = 1; n <= maxOrder; n++)
            {
                var maxReferenceCounts = new Dictionary<string, int>();
                foreach (var reference in refs)
                    foreach (var (gram, count) in NGramCounts(reference, n))
                        maxReferenceCounts[gram] = Math.Max(count, maxReferenceCounts.GetValueOrDefault(gram));
                foreach (var (gram, count) in NGramCounts(hypothesis, n))
                    matches[n - 1] += Math.Min(count, maxReferenceCounts.GetValueOrDefault(gram));
                totals[n - 1] += Math.Max(0, hypothesis.Count - n + 1);
            }
        }
        double logPrecision = 0;
        for (int n = 0; n < maxOrder; n++)
        {
            if (matches[n] == 0) return 0;
            logPrecision += Math.Log((double)matches[n] / totals[n]) / maxOrder;
        }
        double brevity = hypothesisLength < referenceLength ? Math.Exp(1 - (double)referenceLength / hypothesisLength) : 1;
        return brevity * Math.Exp(logPrecision);
    }

    static IEnumerable<string> NGrams(IReadOnlyList<string> tokens, int n)
    {
        for (int i = 0; i + n <= tokens.Count; i++) yield return string.Join(' ', tokens.Skip(i).Take(n));
    }

    static Dictionary<string, int> NGramCounts(IReadOnlyList<string> tokens, int n)
    {
        var counts = new Dictionary<string, int>();
        foreach (var gram in NGrams(tokens, n)) counts[gram] = counts.GetValueOrDefault(gram) + 1;
        return counts;
    }
}
