using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Nabla.Optim;
using Nabla.Serialization;
using Nabla.Text;
using Nabla.Text.Seq2Seq;
using Spectre.Console;

namespace Nabla.Cli;

/// <summary>
/// One <c>nabla train seq2seq</c> run: the course's English–French translation models (d2l §9.7 GRU encoder–decoder,
/// §10.4 Bahdanau attention, §10.7 Transformer) trained epoch by epoch with a progress bar showing the loss and the
/// speed; then the loss curve, the checkpoint, the course's four example translations with their BLEU, and the
/// corpus BLEU-4 on the held-out sentences.
/// </summary>
public sealed class Seq2SeqRun
{
    /// <summary>The model's name on the command line.</summary>
    public const string ModelName = "seq2seq";

    /// <summary>The line of <c>nabla models</c>.</summary>
    public const string Description = "English-French translation on fra-eng: GRU encoder-decoder, Bahdanau attention, Transformer (d2l 9.7, 10.4, 10.7)";

    private Seq2SeqSettings settings;
    private readonly IAnsiConsole console;
    private readonly TextWriter log;
    private readonly TextWriter stdout;
    private readonly StopSignal stop;
    private readonly LiveProgress progress;

    /// <summary>A run of <paramref name="settings"/>; the writers play the roles they play in <see cref="TrainRun"/>.</summary>
    public Seq2SeqRun(Seq2SeqSettings settings, IAnsiConsole console, TextWriter log, TextWriter stdout, StopSignal stop)
    {
        this.settings = settings;
        this.console = console;
        this.log = log;
        this.stdout = stdout;
        this.stop = stop;
        progress = new LiveProgress(console, log);
    }

    /// <summary>The loss of each finished epoch, after <see cref="Run"/> (the course's figure: Σ sequence loss / Σ target tokens).</summary>
    public List<double> Losses { get; } = [];

    /// <summary>Trains; returns the exit status (0, or <see cref="TrainRun.InterruptedExitCode"/> after Ctrl-C).</summary>
    public int Run()
    {
        if (!Seq2SeqSettings.Archs.Contains(settings.Arch))
        {
            throw new ArgumentException($"--arch: unknown architecture '{settings.Arch}'. Architectures: {string.Join(", ", Seq2SeqSettings.Archs)}.");
        }
        string runDirectory = settings.Checkpoint ?? Path.Combine("runs", $"{ModelName}-{settings.Arch}");
        Seq2SeqCheckpoint.Saved? saved = null;
        if (settings.Resume)
        {
            string path = CheckpointStore.PathIn(runDirectory);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"--resume: no checkpoint in {runDirectory} (expected {path}).", path);
            }
            saved = Seq2SeqCheckpoint.Read(runDirectory);
            settings = saved.Settings with
            {
                Epochs = settings.Epochs,
                Checkpoint = runDirectory,
                Resume = true,
                Json = settings.Json,
                StopAfterBatches = settings.StopAfterBatches,
            };
        }
        else if (settings.Checkpoint is not null)
        {
            CheckpointGuard.RefuseOverwrite(settings.Checkpoint, settings.Overwrite);
        }
        // The split from the seed, weights and dropout from the default generator, the shuffling from its own (seed + 1).
        Generator.ManualSeed(settings.Seed);
        TranslationData data = FraEng.LoadData(settings.Steps, settings.Pairs, settings.TestFraction, settings.Seed);
        var dataGenerator = new Generator(settings.Seed + 1);
        var loader = data.Loader(settings.BatchSize, dataGenerator);
        EncoderDecoder model = Seq2SeqCheckpoint.Build(settings, data.SrcVocab.Count, data.TgtVocab.Count);
        Seq2SeqTraining.XavierInit(model);
        var optimizer = new Adam(model.Parameters(), lr: settings.LearningRate);
        int epochs = settings.Epochs;
        if (saved is not null)
        {
            // After the same draws as a fresh run (split, data, initial weights), the saved state replaces them.
            model.LoadStateDict(saved.Data.Model, strict: true);
            string path = CheckpointStore.PathIn(runDirectory);
            Seq2SeqCheckpoint.LoadOptimizer(saved, optimizer, path);
            var meta = new CheckpointMetadata(saved.Data.Metadata, path, "a seq2seq checkpoint");
            dataGenerator.SetState(meta.GeneratorState("rng.data"));
            Generator.Default.SetState(meta.GeneratorState("rng.default"));
            Losses.AddRange(saved.Losses);
            log.WriteLine(FormattableString.Invariant($"Resuming {runDirectory} after epoch {Losses.Count}."));
        }
        log.WriteLine($"Training {ModelName} --arch {settings.Arch} (the course's recipe unless overridden): {settings.Recipe()}");
        log.WriteLine(FormattableString.Invariant(
            $"{data.Train.Count:N0} training pairs, {data.Test.Count:N0} held-out English sentences; vocabularies: {data.SrcVocab.Count:N0} English, {data.TgtVocab.Count:N0} French tokens (min frequency 2)"));

        int bos = data.TgtVocab[Vocab.BosToken];
        int every = Math.Max(1, epochs / 10);
        long tokens = 0, batches = 0;
        var watch = Stopwatch.StartNew();
        bool stopped = false;
        void TrainAll(Action<int, double>? batchEnd)
        {
            for (int epoch = Losses.Count + 1; epoch <= epochs && !stopped; epoch++)
            {
                double loss = Seq2SeqTraining.TrainEpoch(model, loader, optimizer, bos, settings.Clip, (count, running) =>
                {
                    tokens += count;
                    batches++;
                    if (settings.StopAfterBatches > 0 && batches >= settings.StopAfterBatches)
                    {
                        stop.Request();
                    }
                    batchEnd?.Invoke(epoch, running);
                });
                Losses.Add(loss);
                if (settings.Checkpoint is not null)
                {
                    Save(runDirectory, model, data, optimizer, dataGenerator);
                }
                if (epoch % every == 0 || epoch == epochs)
                {
                    WriteLine(FormattableString.Invariant(
                        $"epoch {epoch.ToString(CultureInfo.InvariantCulture).PadLeft(epochs.ToString(CultureInfo.InvariantCulture).Length)}/{epochs}  loss {loss,7:F4}  {tokens / watch.Elapsed.TotalSeconds,9:N0} tokens/s"));
                }
                // Checked between epochs: a checkpoint always holds whole epochs, so a resumed run matches an uninterrupted one.
                stopped = stop.Requested;
            }
        }
        progress.Run(epochs, 0, $"epoch 1/{epochs}", report => TrainAll(report is null ? null : (epoch, running) =>
            report(epoch - 1, FormattableString.Invariant($"epoch {epoch}/{epochs}  loss {running:F4}  {tokens / watch.Elapsed.TotalSeconds:N0} tokens/s"))));
        double seconds = watch.Elapsed.TotalSeconds;
        double tokensPerSecond = seconds > 0 ? tokens / seconds : 0;

        string plotPath = Path.Combine(runDirectory, "loss.png");
        string? plot = null;
        if (Losses.Count > 0 && TryPlot(plotPath))
        {
            plot = plotPath;
            log.WriteLine($"Plot of the loss: {plotPath}");
        }
        if (settings.Checkpoint is not null || stopped)
        {
            string path = Save(runDirectory, model, data, optimizer, dataGenerator);
            log.WriteLine($"Checkpoint: {path}");
        }
        if (stopped)
        {
            log.WriteLine($"Stopped after epoch {Losses.Count} of {epochs}. Resume with: ./nabla train {ModelName} --arch {settings.Arch} --epochs {epochs} --checkpoint {runDirectory} --resume");
            return TrainRun.InterruptedExitCode;
        }

        // The course's four sentences (greedy, BLEU with k = 2 as in d2l), then the corpus BLEU-4 on the held-out sentences.
        var examples = new List<Dictionary<string, object?>>();
        foreach (var (english, french) in FraEng.CourseExamples)
        {
            var source = SourceSentence.Encode(FraEng.Tokenize(english), data.SrcVocab, settings.Steps);
            var translation = Translator.PredictSeq2Seq(model, source, data.TgtVocab, settings.Steps);
            double bleu = Bleu.Score(translation.Text, french, 2);
            log.WriteLine(FormattableString.Invariant($"{english} => {translation.Text}, bleu {bleu:F3}"));
            examples.Add(new Dictionary<string, object?> { ["source"] = english, ["translation"] = translation.Text, ["reference"] = french, ["bleu"] = Math.Round(bleu, 4) });
        }
        double? corpusBleu = null;
        if (data.Test.Count > 0)
        {
            var sources = data.Test.Select(s => SourceSentence.Encode(s.Source, data.SrcVocab, settings.Steps)).ToList();
            var hypotheses = Translator.PredictBatch(model, sources, data.TgtVocab, settings.Steps);
            corpusBleu = Bleu.Corpus(
                [.. hypotheses.Select(h => (IReadOnlyList<string>)h)],
                [.. data.Test.Select(s => (IReadOnlyList<IReadOnlyList<string>>)[.. s.References.Select(r => (IReadOnlyList<string>)r)])]);
            log.WriteLine(FormattableString.Invariant(
                $"Held-out corpus BLEU-4: {corpusBleu:F4} on {data.Test.Count:N0} English sentences ({data.Test.Sum(s => s.References.Count):N0} reference translations), greedy decoding"));
        }
        if (settings.Checkpoint is not null)
        {
            log.WriteLine($"Translate with: ./nabla translate --checkpoint {runDirectory} \"i'm home .\"{(settings.Arch == "gru" ? "" : " --attention-plot attention.png")}");
        }
        if (settings.Json)
        {
            var result = new Dictionary<string, object?>
            {
                ["model"] = ModelName,
                ["arch"] = settings.Arch,
                ["pairs"] = settings.Pairs,
                ["train_pairs"] = data.Train.Count,
                ["test_sentences"] = data.Test.Count,
                ["epochs"] = Losses.Count,
                ["loss"] = Losses.Count > 0 ? Math.Round(Losses[^1], 6) : null,
                ["tokens_per_s"] = Math.Round(tokensPerSecond, 1),
                ["seconds"] = Math.Round(seconds, 2),
                ["examples"] = examples,
                ["corpus_bleu"] = corpusBleu is { } b ? Math.Round(b, 6) : null,
                ["plot"] = plot is null ? null : Path.GetFullPath(plot),
                ["checkpoint"] = settings.Checkpoint is null ? null : Path.GetFullPath(CheckpointStore.PathIn(runDirectory)),
            };
            stdout.WriteLine(JsonSerializer.Serialize(result));
            stdout.Flush();
        }
        return 0;
    }

    private string Save(string directory, EncoderDecoder model, TranslationData data, Optimizer optimizer, Generator dataGenerator) =>
        Seq2SeqCheckpoint.Save(directory, model, data, settings with { Epochs = Losses.Count }, Losses, optimizer, dataGenerator.GetState());

    // Lines go above the live progress bar, or straight to the log when there is none.
    private void WriteLine(string line) => progress.WriteLine(line);

    private bool TryPlot(string path)
    {
        try
        {
            CurvePlot.SaveLoss(Losses, path, $"{ModelName} ({settings.Arch}) on fra-eng");
            return true;
        }
        catch (Exception exception) when (exception is DllNotFoundException or TypeInitializationException or IOException or UnauthorizedAccessException)
        {
            log.WriteLine($"No plot: {exception.GetBaseException().Message}");
            return false;
        }
    }
}
