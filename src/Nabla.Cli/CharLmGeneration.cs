using Nabla.Text;

namespace Nabla.Cli;

/// <summary><c>nabla generate charlm</c>: a trained character language model continues a prefix.</summary>
public static class CharLmGeneration
{
    /// <summary>Prints the prefix followed by <paramref name="length"/> generated characters.</summary>
    /// <param name="checkpointDirectory">Directory of the checkpoint of <c>nabla train charlm</c>.</param>
    /// <param name="prefix">The text to continue; cleaned as the corpus was (lower case, letters and spaces).</param>
    /// <param name="length">Characters to generate after the prefix.</param>
    /// <param name="temperature">0: greedy (d2l's <c>predict_ch8</c>); otherwise sampling from softmax(logits / T).</param>
    /// <param name="topK">Sample only among the K most likely characters (0: all).</param>
    /// <param name="seed">Seed of the sampling generator.</param>
    /// <param name="stdout">Where the text goes.</param>
    public static int Generate(string checkpointDirectory, string prefix, int length, double temperature, int topK, long seed, TextWriter stdout)
    {
        if (length < 0)
        {
            throw new ArgumentException($"--length must be 0 or more, got {length}.");
        }
        if (!(temperature >= 0) || double.IsInfinity(temperature))
        {
            throw new ArgumentException($"--temperature must be a finite number ≥ 0, got {temperature}.");
        }
        if (topK < 0)
        {
            throw new ArgumentException($"--top-k must be 0 or more, got {topK}.");
        }
        // The model knows only what the corpus kept: lower-case letters and single spaces.
        string cleaned = Tokenizer.D2lTimeMachine(prefix);
        if (cleaned.Length == 0)
        {
            throw new ArgumentException($"--prefix '{prefix}' has no letters; the model knows only lower-case letters and spaces.");
        }
        var (model, vocab, _) = CharLmCheckpoint.Load(checkpointDirectory);
        stdout.WriteLine(LanguageModel.Sample(cleaned, length, model, vocab, temperature, topK, new Generator(seed)));
        return 0;
    }
}
