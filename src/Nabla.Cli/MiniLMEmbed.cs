using System.Globalization;
using System.Text.Json;
using Nabla.Text.Bert;

namespace Nabla.Cli;

/// <summary>
/// <c>nabla embed --model minilm "sentence" …</c>: all-MiniLM-L6-v2's sentence embeddings
/// (<see cref="SentenceEncoder.MiniLM"/>: mean pooling over the tokens, then L2 normalisation), their
/// first values and the matrix of cosine similarities (dot products of the unit vectors).
/// </summary>
public static class MiniLMEmbed
{
    private const int ShownValues = 5;

    /// <summary>Embeds <paramref name="sentences"/> and prints them.</summary>
    /// <returns>The exit status (0).</returns>
    /// <exception cref="ArgumentException">An unknown model, no sentence, or a sentence without tokens.</exception>
    public static int Run(string model, IReadOnlyList<string> sentences, bool json, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        if (!string.Equals(model, "minilm", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"embed: unknown --model '{model}'; the pre-trained sentence encoder is minilm.");
        if (sentences.Count == 0) throw new ArgumentException("embed: give at least one sentence.");
        var encoder = SentenceEncoder.MiniLM();
        var ids = encoder.Tokenize(sentences);
        for (int i = 0; i < ids.Length; i++)
            if (ids[i].Length == 2) throw new ArgumentException($"embed: sentence {i + 1} has no tokens.");
        var embeddings = encoder.Encode(sentences);
        int count = sentences.Count, width = embeddings.Size(1);
        float[] flat = embeddings.ToArray<float>();
        float[] cosine = embeddings.MatMul(embeddings.Transpose(0, 1)).ToArray<float>();
        float[] Row(int i) => flat[(i * width)..((i + 1) * width)];

        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["model"] = "all-MiniLM-L6-v2",
                ["pooling"] = "mean, L2-normalised",
                ["sentences"] = sentences,
                ["tokens"] = ids.Select(t => t.Length).ToArray(),
                ["embeddings"] = Enumerable.Range(0, count).Select(Row).ToArray(),
                ["cosine_similarity"] = Enumerable.Range(0, count).Select(i => cosine[(i * count)..((i + 1) * count)]).ToArray(),
            }));
            return 0;
        }
        stdout.WriteLine($"all-MiniLM-L6-v2: {count} sentence(s) → [{count}, {width}] (mean-pooled, L2-normalised)");
        for (int i = 0; i < count; i++)
        {
            string values = string.Join(", ", Row(i).Take(ShownValues).Select(v => v.ToString("F4", CultureInfo.InvariantCulture)));
            stdout.WriteLine($"  {i + 1}: [{values}, … ({width})]  {ids[i].Length} tokens  \"{sentences[i]}\"");
        }
        if (count < 2) return 0;
        stdout.WriteLine("cosine similarities:");
        stdout.WriteLine("      " + string.Concat(Enumerable.Range(1, count).Select(j => $"{j,8}")));
        for (int i = 0; i < count; i++)
            stdout.WriteLine($"  {i + 1,3} " + string.Concat(Enumerable.Range(0, count).Select(j => cosine[i * count + j].ToString("F4", CultureInfo.InvariantCulture).PadLeft(8))));
        return 0;
    }
}
