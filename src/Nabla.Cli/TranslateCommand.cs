using System.CommandLine;
using System.Globalization;
using Nabla.Text;
using Nabla.Text.Seq2Seq;

namespace Nabla.Cli;

/// <summary>
/// <c>nabla translate --checkpoint DIR "i'm home ." [--beam 4] [--attention-plot a.png]</c>: an English sentence in
/// French with a model of <c>nabla train seq2seq</c>; greedy decoding by default (the course's <c>predict_seq2seq</c>),
/// beam search with <c>--beam K</c>; for attention models the weights as a heatmap.
/// </summary>
public static class TranslateCommand
{
    /// <summary>Builds the command; the translation goes to <paramref name="stdout"/>, notes and errors to <paramref name="stderr"/>.</summary>
    public static Command Build(TextWriter stdout, TextWriter stderr, Func<TextWriter, Func<int>, int> guarded)
    {
        var sentence = new Argument<string>("sentence") { Description = "The English sentence, e.g. \"i'm home .\" (lower-cased and split like the training data)." };
        var checkpoint = new Option<string>("--checkpoint") { Description = "Directory of the checkpoint of `nabla train seq2seq`.", Required = true };
        var beam = new Option<int>("--beam") { Description = "Beam width; 1 is greedy decoding, the course's predict_seq2seq.", DefaultValueFactory = _ => 1 };
        var alpha = new Option<double>("--alpha") { Description = "Beam search's length normalisation: the best log P / L^alpha wins (d2l: 0.75).", DefaultValueFactory = _ => 0.75 };
        var attentionPlot = new Option<string?>("--attention-plot") { Description = "Write the attention weights as a PNG heatmap (bahdanau and transformer models)." };
        var command = new Command("translate", "Translate an English sentence into French with a trained seq2seq model.") { sentence, checkpoint, beam, alpha, attentionPlot };
        command.SetAction(parse => guarded(stderr, () => Translate(parse.GetValue(checkpoint)!, parse.GetValue(sentence) ?? "", parse.GetValue(beam),
            parse.GetValue(alpha), parse.GetValue(attentionPlot), stdout, stderr)));
        return command;
    }

    /// <summary>Translates <paramref name="sentence"/>; returns the exit status.</summary>
    public static int Translate(string checkpointDirectory, string sentence, int beam, double alpha, string? attentionPlot, TextWriter stdout, TextWriter stderr)
    {
        if (beam < 1)
        {
            throw new ArgumentException($"--beam must be at least 1, got {beam}.");
        }
        if (!(alpha >= 0) || double.IsInfinity(alpha))
        {
            throw new ArgumentException($"--alpha must be a finite number ≥ 0, got {alpha}.");
        }
        string[] tokens = FraEng.Tokenize(sentence);
        if (tokens.Length == 0)
        {
            throw new ArgumentException("translate: the sentence is empty; give an English sentence, e.g. \"i'm home .\"");
        }
        var (model, saved) = Seq2SeqCheckpoint.Load(checkpointDirectory);
        int steps = saved.Settings.Steps;
        if (attentionPlot is not null && saved.Settings.Arch == "gru")
        {
            throw new ArgumentException("--attention-plot: this checkpoint's model (gru) has no attention; train --arch bahdanau or transformer.");
        }
        var source = SourceSentence.Encode(tokens, saved.SrcVocab, steps);
        if (source.UnknownTokens.Length > 0)
        {
            stderr.WriteLine($"note: not in the model's English vocabulary, read as <unk>: {string.Join(", ", source.UnknownTokens)}");
        }
        if (source.Truncated)
        {
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"note: the sentence has {tokens.Length} tokens and <eos>, more than the {steps} the model reads; it was cut to: {string.Join(' ', tokens.Take(steps))}"));
        }
        Translation translation = beam == 1
            ? Translator.PredictSeq2Seq(model, source, saved.TgtVocab, steps)
            : Translator.BeamSearch(model, source, saved.TgtVocab, steps, beam, alpha);
        stdout.WriteLine(translation.Text);
        if (attentionPlot is not null && translation.AttentionWeights is { } weights)
        {
            int rows = weights.Size(0), columns = weights.Size(1);
            float[] values = weights.ToArray<float>();
            var matrix = new float[rows, columns];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    matrix[i, j] = values[i * columns + j];
                }
            }
            string[] columnLabels = saved.SrcVocab.ToTokens(source.Indices);
            string[] rowLabels = [.. translation.Tokens, .. Enumerable.Repeat(Vocab.EosToken, rows - translation.Tokens.Length)];
            AttentionPlot.Save(matrix, columnLabels, rowLabels, attentionPlot, $"{saved.Settings.Arch} attention: {string.Join(' ', tokens)}");
            stderr.WriteLine($"Attention weights: {attentionPlot}");
        }
        return 0;
    }
}
