using System.Globalization;
using System.Text.Json;
using Nabla.Text;
using Nabla.Text.Bert;

namespace Nabla.Cli;

/// <summary>
/// <c>nabla embed</c>: d2l's <c>get_bert_encoding</c> (§15.10) with a checkpoint of <c>nabla train bert</c>.
/// Each sentence is tokenized as the training corpus was, framed as <c>&lt;cls&gt; … &lt;sep&gt;</c> and
/// encoded; the <c>&lt;cls&gt;</c> vector and every token's vector come out (first values, or all with
/// <c>--json</c>), and for two sentences the cosine similarity of their <c>&lt;cls&gt;</c> vectors. With
/// <c>--pair</c> two sentences are encoded as one pair instead (<c>&lt;cls&gt; A &lt;sep&gt; B &lt;sep&gt;</c>).
/// </summary>
public static class BertEmbed
{
    private const int ShownValues = 5;

    /// <summary>Encodes <paramref name="sentences"/> (one or two) and prints the vectors.</summary>
    /// <returns>The exit status (0).</returns>
    /// <exception cref="ArgumentException">No sentence, more than two, or <paramref name="pair"/> without two.</exception>
    public static int Run(string checkpointDirectory, IReadOnlyList<string> sentences, bool pair, bool json, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        if (sentences.Count is < 1 or > 2) throw new ArgumentException($"embed: give one or two sentences, got {sentences.Count}.");
        if (pair && sentences.Count != 2) throw new ArgumentException("embed: --pair needs two sentences.");
        var (model, vocab, settings, metadata) = BertCheckpoint.Load(checkpointDirectory);
        string tokenization = metadata.TryGetValue("tokenization", out string? kind) ? kind : BertTrainingCorpus.BasicTokenization;
        TextWriter notes = json ? stderr : stdout;
        var tokenized = sentences.Select(s => BertTrainingCorpus.Tokenize(s, tokenization)).ToList();
        for (int i = 0; i < tokenized.Count; i++)
        {
            if (tokenized[i].Length == 0) throw new ArgumentException($"embed: sentence {i + 1} has no tokens.");
        }
        Truncate(tokenized, pair ? settings.MaxLen - 3 : settings.MaxLen - 2, settings.MaxLen, notes);

        var inputs = pair
            ? [BertPretrainingDataset.GetTokensAndSegments(tokenized[0], tokenized[1])]
            : tokenized.Select(t => BertPretrainingDataset.GetTokensAndSegments(t)).ToList();
        var encodings = new List<(string[] Tokens, float[,] Vectors)>();
        using (Autograd.NoGrad())
        {
            foreach (var (tokens, segments) in inputs)
            {
                Tensor tokenIds = Tensor.From(vocab.Indices(tokens).Select(i => (long)i).ToArray(), 1, tokens.Length);
                Tensor segmentIds = Tensor.From(segments.Select(s => (long)s).ToArray(), 1, tokens.Length);
                Tensor validLen = Tensor.From(new long[] { tokens.Length });
                var (encoded, _, _) = model.Forward(tokenIds, segmentIds, validLen);
                int hidden = encoded.Size(2);
                float[] flat = encoded.Contiguous().ToArray<float>();
                var vectors = new float[tokens.Length, hidden];
                Buffer.BlockCopy(flat, 0, vectors, 0, flat.Length * sizeof(float));
                encodings.Add((tokens, vectors));
            }
        }
        double? cosine = encodings.Count == 2 ? Cosine(Row(encodings[0].Vectors, 0), Row(encodings[1].Vectors, 0)) : null;

        if (json)
        {
            var result = new Dictionary<string, object?>
            {
                ["checkpoint"] = Path.GetFullPath(checkpointDirectory),
                ["pair"] = pair,
                ["encodings"] = encodings.Select(e => new Dictionary<string, object>
                {
                    ["tokens"] = e.Tokens,
                    ["unknown"] = e.Tokens.Count(t => !vocab.Contains(t)),
                    ["shape"] = new[] { 1, e.Tokens.Length, e.Vectors.GetLength(1) },
                    ["cls"] = Row(e.Vectors, 0),
                    ["vectors"] = Enumerable.Range(0, e.Tokens.Length).Select(j => Row(e.Vectors, j)).ToArray(),
                }).ToArray(),
                ["cls_cosine_similarity"] = cosine,
            };
            stdout.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }
        for (int n = 0; n < encodings.Count; n++)
        {
            var (tokens, vectors) = encodings[n];
            int unknown = tokens.Count(t => !vocab.Contains(t));
            string label = pair ? "pair" : $"sentence {n + 1}";
            stdout.WriteLine($"{label}: {string.Join(' ', tokens)}" + (unknown > 0 ? $"  ({unknown} unknown → {Vocab.UnkToken})" : ""));
            stdout.WriteLine($"  encoded shape [1, {tokens.Length}, {vectors.GetLength(1)}]");
            int width = tokens.Max(t => t.Length);
            for (int j = 0; j < tokens.Length; j++)
            {
                stdout.WriteLine($"  {j,3} {tokens[j].PadRight(width)}  {Format(Row(vectors, j))}");
            }
        }
        if (cosine is { } value)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cosine similarity of the <cls> vectors: {value:F4}"));
        }
        return 0;
    }

    // BERT's truncate_seq_pair: drop tokens from the end of the longer sentence until the total fits.
    private static void Truncate(List<string[]> tokenized, int budget, int maxLen, TextWriter notes)
    {
        bool together = tokenized.Count == 2 && budget == maxLen - 3;
        if (together)
        {
            int[] before = [tokenized[0].Length, tokenized[1].Length];
            while (tokenized[0].Length + tokenized[1].Length > budget)
            {
                int longer = tokenized[0].Length >= tokenized[1].Length ? 0 : 1;
                tokenized[longer] = tokenized[longer][..^1];
            }
            if (tokenized[0].Length != before[0] || tokenized[1].Length != before[1])
                notes.WriteLine($"Note: the pair has {before[0]} + {before[1]} tokens, more than max length {maxLen} allows with <cls> and two <sep> ({budget}); truncated to {tokenized[0].Length} + {tokenized[1].Length}.");
            return;
        }
        for (int i = 0; i < tokenized.Count; i++)
        {
            if (tokenized[i].Length <= budget) continue;
            notes.WriteLine($"Note: sentence {i + 1} has {tokenized[i].Length} tokens, more than max length {maxLen} allows with <cls> and <sep> ({budget}); truncated to its first {budget}.");
            tokenized[i] = tokenized[i][..budget];
        }
    }

    private static float[] Row(float[,] vectors, int row)
    {
        var values = new float[vectors.GetLength(1)];
        for (int k = 0; k < values.Length; k++) values[k] = vectors[row, k];
        return values;
    }

    private static string Format(float[] vector) =>
        "[" + string.Join(", ", vector.Take(ShownValues).Select(v => v.ToString("F4", CultureInfo.InvariantCulture))) + (vector.Length > ShownValues ? $", … ({vector.Length})]" : "]");

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, normA = 0, normB = 0;
        for (int k = 0; k < a.Length; k++)
        {
            dot += (double)a[k] * b[k];
            normA += (double)a[k] * a[k];
            normB += (double)b[k] * b[k];
        }
        return dot / Math.Sqrt(normA * normB);
    }
}
