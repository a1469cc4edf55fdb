using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Nabla.Optim;
using Nabla.Serialization;
using Nabla.Text;
using Spectre.Console;

namespace Nabla.Cli;

/// <summary>
/// One <c>nabla train charlm</c> run: d2l's character language model (§8.6 concise RNN, §9 GRU/LSTM)
/// on The Time Machine, trained epoch by epoch with a progress bar; every few epochs a line with the
/// perplexity, the speed and a greedy continuation of "time traveller"; then the perplexity curve,
/// the checkpoint and the report.
/// </summary>
public sealed class CharLmRun
{
    /// <summary>The model's name on the command line.</summary>
    public const string ModelName = "charlm";

    /// <summary>The line of <c>nabla models</c>.</summary>
    public const string Description = "character language model on The Time Machine: one-hot, RNN/GRU/LSTM, Linear (d2l 8.6, 9.1-9.2)";

    /// <summary>The prefix of the samples printed during training (d2l's).</summary>
    public const string SamplePrefix = "time traveller";

    private const int SampleLength = 50;

    private CharLmSettings settings;
    private readonly IAnsiConsole console;
    private readonly TextWriter log;
    private readonly TextWriter stdout;
    private readonly StopSignal stop;
    private readonly LiveProgress progress;

    /// <summary>A run of <paramref name="settings"/>; the writers play the roles they play in <see cref="TrainRun"/>.</summary>
    public CharLmRun(CharLmSettings settings, IAnsiConsole console, TextWriter log, TextWriter stdout, StopSignal stop)
    {
        this.settings = settings;
        this.console = console;
        this.log = log;
        this.stdout = stdout;
        this.stop = stop;
        progress = new LiveProgress(console, log);
    }

    /// <summary>The perplexity of each finished epoch, after <see cref="Run"/>.</summary>
    public List<double> Perplexities { get; } = [];

    /// <summary>Trains; returns the exit status (0, or <see cref="TrainRun.InterruptedExitCode"/> after Ctrl-C).</summary>
    public int Run()
    {
        if (!CharLmCheckpoint.Cells.Contains(settings.Cell))
        {
            throw new ArgumentException($"--cell: unknown cell '{settings.Cell}'. Cells: {string.Join(", ", CharLmCheckpoint.Cells)}.");
        }
        string runDirectory = settings.Checkpoint ?? Path.Combine("runs", ModelName);
        // Resuming: the checkpoint's recipe, continued up to --epochs, checkpointing where it was read.
        CheckpointData? saved = null;
        if (settings.Resume)
        {
            string path = CheckpointStore.PathIn(runDirectory);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"--resume: no checkpoint in {runDirectory} (expected {path}).", path);
            }
            saved = Checkpoint.Load(path);
            CharLmCheckpoint.CheckIsCharLm(saved.Metadata, path, runDirectory, "--resume");
            if (!saved.Metadata.ContainsKey("rng.data"))
            {
                throw new InvalidDataException($"--resume: {path} holds no training state (written by `nabla train charlm` before --resume existed).");
            }
            settings = CharLmCheckpoint.Settings(saved.Metadata, path) with
            {
                Epochs = settings.Epochs,
                Checkpoint = runDirectory,
                Resume = true,
                Json = settings.Json,
            };
        }
        else if (settings.Checkpoint is not null)
        {
            CheckpointGuard.RefuseOverwrite(settings.Checkpoint, settings.Overwrite);
        }
        // Weights from the default generator, minibatch offsets from their own (seed + 1), as TrainRun's loader.
        Generator.ManualSeed(settings.Seed);
        var (data, vocab) = TimeMachine.LoadData(settings.BatchSize, settings.Steps, settings.RandomSampling, settings.MaxTokens, new Generator(settings.Seed + 1));
        if (data.Corpus.Count <= settings.Steps)
        {
            throw new ArgumentException($"--steps {settings.Steps}: the corpus has only {data.Corpus.Count} characters.");
        }
        int maxBatchSize = MaxBatchSize(data.Corpus.Count, settings.Steps, settings.RandomSampling);
        if (settings.BatchSize > maxBatchSize)
        {
            throw new ArgumentException($"--batch-size {settings.BatchSize}: {data.Corpus.Count:N0} characters in subsequences of {settings.Steps} steps " +
                $"make batches of at most {maxBatchSize} (an epoch would have no batch).");
        }
        RNNModel model = CharLmCheckpoint.Build(settings.Cell, vocab.Count, settings.Hidden, settings.Layers);
        Optimizer optimizer = OptimizerFactory.Create(settings.Optimizer, model.Parameters(), settings.LearningRate);
        int epochs = settings.Epochs;
        if (saved is not null)
        {
            // After the same draws as a fresh run (seed, data, initial weights), the saved state replaces them.
            var metadata = new CheckpointMetadata(saved.Metadata, CheckpointStore.PathIn(runDirectory), "a resumable charlm checkpoint");
            model.LoadStateDict(saved.Model, strict: true);
            CheckpointStore.LoadOptimizer(saved, optimizer, CheckpointStore.PathIn(runDirectory));
            data.Generator.SetState(metadata.GeneratorState("rng.data"));
            Generator.Default.SetState(metadata.GeneratorState("rng.default"));
            Perplexities.AddRange(metadata.Json<List<double>>("perplexity"));
            log.WriteLine(FormattableString.Invariant($"Resuming {runDirectory} after epoch {Perplexities.Count}."));
        }
        log.WriteLine(
            FormattableString.Invariant($"Training {ModelName} ({settings.Cell.ToUpperInvariant()}, {settings.Layers} layer{(settings.Layers == 1 ? "" : "s")} of {settings.Hidden}) on The Time Machine ") +
            FormattableString.Invariant($"({data.Corpus.Count:N0} characters, vocabulary {vocab.Count}): {epochs} epoch{(epochs == 1 ? "" : "s")}, batch {settings.BatchSize} × {settings.Steps} steps, ") +
            FormattableString.Invariant($"{(settings.RandomSampling ? "random" : "sequential")} sampling, {settings.Optimizer.ToUpperInvariant()} lr {settings.LearningRate}, clip {settings.Clip}, seed {settings.Seed}"));

        // d2l prints every 10th epoch of 500; here about ten lines per run, and always the last epoch.
        int every = Math.Max(1, epochs / 10);
        long tokens = 0;
        var watch = Stopwatch.StartNew();
        bool stopped = false;
        void TrainAll(Action<int, double, long>? batchEnd)
        {
            for (int epoch = Perplexities.Count + 1; epoch <= epochs && !stopped; epoch++)
            {
                int batch = 0, divergedAt = 0;
                double perplexity = LanguageModel.TrainEpoch(model, data, optimizer, settings.Clip, (count, running) =>
                {
                    tokens += count;
                    batch++;
                    if (divergedAt == 0 && !double.IsFinite(running))
                    {
                        divergedAt = batch;
                    }
                    batchEnd?.Invoke(epoch, running, tokens);
                });
                if (divergedAt > 0 || !double.IsFinite(perplexity))
                {
                    // The weights are not finite any more: the checkpoint of the last epoch stays the last good one.
                    bool kept = settings.Checkpoint is not null && File.Exists(CheckpointStore.PathIn(runDirectory));
                    throw new TrainingDivergedException(
                        $"training diverged in epoch {epoch}{(divergedAt > 0 ? $", batch {divergedAt} of {batch}" : "")}: the perplexity is {(double.IsNaN(perplexity) ? "NaN" : "infinite")}; try a lower --lr. " +
                        (kept ? $"{CheckpointStore.PathIn(runDirectory)} is left as it was, the last good state." : "No checkpoint was written."));
                }
                Perplexities.Add(perplexity);
                if (settings.Checkpoint is not null)
                {
                    SaveCheckpoint(runDirectory, model, vocab, optimizer, data);
                }
                if (epoch % every == 0 || epoch == epochs)
                {
                    string sample = LanguageModel.Predict(SamplePrefix, SampleLength, model, vocab);
                    WriteLine(FormattableString.Invariant(
                        $"epoch {epoch.ToString(CultureInfo.InvariantCulture).PadLeft(epochs.ToString(CultureInfo.InvariantCulture).Length)}/{epochs}  perplexity {perplexity,7:F2}  {tokens / watch.Elapsed.TotalSeconds,9:N0} tokens/s  {sample}"));
                }
                stopped = stop.Requested;
            }
        }
        progress.Run(epochs, 0, $"epoch 1/{epochs}", report => TrainAll(report is null ? null : (epoch, running, _) =>
            report(epoch - 1, FormattableString.Invariant($"epoch {epoch}/{epochs}  perplexity {running:F2}  {tokens / watch.Elapsed.TotalSeconds:N0} tokens/s"))));
        double seconds = watch.Elapsed.TotalSeconds;
        double tokensPerSecond = seconds > 0 ? tokens / seconds : 0;

        string plotPath = Path.Combine(runDirectory, "perplexity.png");
        string? plot = null;
        if (Perplexities.Count > 0 && TryPlot(plotPath))
        {
            plot = plotPath;
            log.WriteLine($"Plot of the perplexity: {plotPath}");
        }
        if (settings.Checkpoint is not null || stopped)
        {
            string path = SaveCheckpoint(runDirectory, model, vocab, optimizer, data);
            log.WriteLine($"Checkpoint: {path}");
            log.WriteLine($"Generate with: ./nabla generate {ModelName} --checkpoint {runDirectory} --prefix \"{SamplePrefix}\" --length 100");
        }
        if (stopped)
        {
            log.WriteLine($"Stopped after epoch {Perplexities.Count} of {epochs}. Resume with: ./nabla train {ModelName} --epochs {epochs} --checkpoint {runDirectory} --resume");
            return TrainRun.InterruptedExitCode;
        }
        if (settings.Json)
        {
            var result = new Dictionary<string, object?>
            {
                ["model"] = ModelName,
                ["cell"] = settings.Cell,
                ["layers"] = settings.Layers,
                ["hidden"] = settings.Hidden,
                ["epochs"] = Perplexities.Count,
                ["perplexity"] = Perplexities.Count > 0 ? Math.Round(Perplexities[^1], 4) : null,
                ["tokens_per_s"] = Math.Round(tokensPerSecond, 1),
                ["seconds"] = Math.Round(seconds, 2),
                ["plot"] = plot is null ? null : Path.GetFullPath(plot),
            };
            stdout.WriteLine(JsonSerializer.Serialize(result));
            stdout.Flush();
        }
        return 0;
    }

    /// <summary>
    /// The largest batch that leaves every epoch at least one batch, whatever offset the epoch draws:
    /// sequential partitioning starts up to <paramref name="steps"/> characters in and splits the rest
    /// into batch-size rows of whole subsequences; random partitioning starts up to steps − 1 in and
    /// needs a batch of whole subsequences.
    /// </summary>
    public static int MaxBatchSize(int corpusLength, int steps, bool randomSampling) =>
        randomSampling ? (corpusLength - steps) / steps : (corpusLength - steps - 1) / steps;

    private string SaveCheckpoint(string directory, RNNModel model, Vocab vocab, Optimizer optimizer, SeqDataLoader data) =>
        CharLmCheckpoint.Save(directory, model, vocab, settings with { Epochs = Perplexities.Count }, Perplexities, optimizer, data.Generator.GetState());

    // Lines go above the live progress bar, or straight to the log when there is none.
    private void WriteLine(string line) => progress.WriteLine(line);

    private bool TryPlot(string path)
    {
        try
        {
            CurvePlot.SavePerplexity(Perplexities, path, $"{ModelName} ({settings.Cell.ToUpperInvariant()}) on The Time Machine");
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            log.WriteLine($"No plot: {exception.GetBaseException().Message}");
            return false;
        }
    }
}
