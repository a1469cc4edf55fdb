using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Nabla.Optim;
using Nabla.Serialization;
using Nabla.Text.Bert;
using Spectre.Console;

namespace Nabla.Cli;

/// <summary>
/// One <c>nabla train bert</c> run: d2l's BERT pre-training (§15.10) — masked language modelling and
/// next-sentence prediction on WikiText-2, the Brown Corpus or a plain English text (by default the
/// installed Brown Corpus, else The Time Machine) —
/// step by step with a progress bar showing both losses and the speed; then the loss curves, the
/// checkpoint, and the held-out MLM loss and accuracy (against always predicting the training token
/// frequencies) and NSP accuracy.
/// </summary>
public sealed class BertRun
{
    /// <summary>The line of <c>nabla train --help</c>.</summary>
    public const string Description = "BERT pre-training (MLM + NSP) as d2l 15.8-15.10: WikiText-2 with --data DIR, a text file, the Brown Corpus (default when installed) or The Time Machine";

    private BertSettings settings;
    private readonly IAnsiConsole console;
    private readonly TextWriter log;
    private readonly TextWriter stdout;
    private readonly StopSignal stop;
    private readonly LiveProgress progress;

    /// <summary>A run of <paramref name="settings"/>; the writers play the roles they play in <see cref="TrainRun"/>.</summary>
    public BertRun(BertSettings settings, IAnsiConsole console, TextWriter log, TextWriter stdout, StopSignal stop)
    {
        this.settings = settings;
        this.console = console;
        this.log = log;
        this.stdout = stdout;
        this.stop = stop;
        progress = new LiveProgress(console, log);
    }

    /// <summary>The MLM loss of each finished step.</summary>
    public List<double> MlmLosses { get; } = [];

    /// <summary>The NSP loss of each finished step.</summary>
    public List<double> NspLosses { get; } = [];

    /// <summary>Held-out MLM loss and NSP accuracy at each progress line of this process (step, loss, accuracy).</summary>
    public List<(int Step, double MlmLoss, double NspAccuracy)> HeldOutHistory { get; } = [];

    /// <summary>The held-out measures, after a run that was not stopped.</summary>
    public BertEvaluation? Evaluation { get; private set; }

    /// <summary>Trains; returns the exit status (0, or <see cref="TrainRun.InterruptedExitCode"/> after Ctrl-C).</summary>
    public int Run()
    {
        string runDirectory = settings.Checkpoint ?? Path.Combine("runs", BertCheckpoint.ModelName);
        CheckpointData? saved = null;
        if (settings.Resume)
        {
            string path = CheckpointStore.PathIn(runDirectory);
            if (!File.Exists(path)) throw new FileNotFoundException($"--resume: no checkpoint in {runDirectory} (expected {path}).", path);
            saved = Checkpoint.Load(path);
            settings = BertCheckpoint.Settings(saved.Metadata, path) with
            {
                Steps = settings.Steps,
                Checkpoint = runDirectory,
                Resume = true,
                Json = settings.Json,
                StopAfterSteps = settings.StopAfterSteps,
            };
        }
        else if (settings.Checkpoint is not null)
        {
            CheckpointGuard.RefuseOverwrite(settings.Checkpoint, settings.Overwrite);
        }

        // Data from their own generators (seed + 1: training pairs and masks, seed + 2: held-out ones, seed + 3 + epoch:
        // the order of each epoch), the weights and dropout from the default generator.
        BertTrainingCorpus corpus = BertTrainingCorpus.Open(settings.Data);
        settings = settings with { Data = corpus.Source }; // the checkpoint names the corpus read, default or not
        var train = new BertPretrainingDataset(corpus.Train, settings.MaxLen, new Generator(settings.Seed + 1));
        BertPretrainingDataset heldOut;
        try
        {
            heldOut = new BertPretrainingDataset(corpus.HeldOut, settings.MaxLen, new Generator(settings.Seed + 2), train.Vocab);
        }
        catch (ArgumentException exception)
        {
            throw new ArgumentException($"held-out part of {corpus.Name}: {exception.Message}", exception);
        }
        Generator.ManualSeed(settings.Seed);
        BertModel model = BertCheckpoint.Build(settings, train.Vocab.Count);
        var optimizer = new Adam(model.Parameters(), lr: settings.LearningRate);
        if (saved is not null)
        {
            var savedVocab = BertCheckpoint.ReadVocab(saved.Metadata, runDirectory);
            if (!savedVocab.IdxToToken.SequenceEqual(train.Vocab.IdxToToken))
                throw new InvalidDataException($"--resume: the checkpoint in {runDirectory} was trained on another corpus (its vocabulary differs).");
            model.LoadStateDict(saved.Model, strict: true);
            string path = CheckpointStore.PathIn(runDirectory);
            CheckpointStore.LoadOptimizer(saved, optimizer, path);
            var meta = new CheckpointMetadata(saved.Metadata, path, "a bert checkpoint");
            Generator.Default.SetState(meta.GeneratorState("rng.default"));
            MlmLosses.AddRange(meta.Json<List<double>>("mlm_loss"));
            NspLosses.AddRange(meta.Json<List<double>>("nsp_loss"));
            log.WriteLine(FormattableString.Invariant($"Resuming {runDirectory} after step {MlmLosses.Count}."));
        }
        log.WriteLine(FormattableString.Invariant(
            $"Corpus: {corpus.Name}: {train.Count:N0} training pairs ({corpus.Train.Count:N0} paragraphs), {heldOut.Count:N0} held-out pairs, vocabulary {train.Vocab.Count:N0} (min freq 5), {train.SkippedPairs + heldOut.SkippedPairs:N0} pairs longer than {settings.MaxLen} left out"));
        log.WriteLine(FormattableString.Invariant(
            $"Training {BertCheckpoint.ModelName}: {settings.Blocks} blocks of {settings.Hidden}, {settings.Heads} heads, FFN {settings.Ffn}, dropout {settings.Dropout}, max length {settings.MaxLen}; ") +
            FormattableString.Invariant($"{settings.Steps} steps of {settings.BatchSize} pairs{(settings.Redraw ? ", new pairs and masks every epoch" : "")}, Adam lr {settings.LearningRate}, seed {settings.Seed}"));

        int steps = settings.Steps;
        int every = Math.Max(1, steps / 10);
        int[]? order = null;
        BertPretrainingDataset epochData = train;
        if (saved is not null) position = BertCheckpoint.Position(saved.Metadata, runDirectory);
        long positions = 0, pairs = 0;
        var watch = Stopwatch.StartNew();
        bool stopped = false;
        int stepsThisRun = 0;
        void TrainAll(Action<int>? stepEnd)
        {
            model.Train();
            for (int step = MlmLosses.Count + 1; step <= steps && !stopped; step++)
            {
                // Each epoch's order is a permutation drawn from seed + 3 + epoch; with --redraw, epoch e ≥ 1 has its own
                // pairs and masks, drawn from seed + 1 + 1,000,003·e.
                if (order is null)
                {
                    if (settings.Redraw && position.Epoch > 0)
                        epochData = new BertPretrainingDataset(corpus.Train, settings.MaxLen, new Generator(settings.Seed + 1 + 1_000_003L * position.Epoch), train.Vocab);
                    order = Tensor.RandPerm(epochData.Count, new Generator(settings.Seed + 3 + position.Epoch)).To(DType.Int32).ToArray<int>();
                }
                int start = position.Batch * settings.BatchSize, count = Math.Min(settings.BatchSize, epochData.Count - start);
                BertBatch batch = epochData.GetBatch(order.AsSpan(start, count));
                position = start + count >= epochData.Count ? (position.Epoch + 1, 0) : (position.Epoch, position.Batch + 1);
                if (position.Batch == 0) order = null;
                var (mlm, nsp) = BertPretraining.BatchLoss(model, batch);
                Tensor loss = mlm + nsp;
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                MlmLosses.Add(mlm.Item());
                NspLosses.Add(nsp.Item());
                positions += (long)count * settings.MaxLen;
                pairs += count;
                stepsThisRun++;
                stepEnd?.Invoke(step);
                if (step % every == 0 || step == steps)
                {
                    double seconds = watch.Elapsed.TotalSeconds;
                    // The held-out measures on the way (eval mode, no dropout draws, so the run is the same with or without them).
                    watch.Stop();
                    BertEvaluation check = BertPretraining.Evaluate(model, heldOut);
                    model.Train();
                    watch.Start();
                    HeldOutHistory.Add((step, check.MlmLoss, check.NspAccuracy));
                    WriteLine(FormattableString.Invariant(
                        $"step {step.ToString(CultureInfo.InvariantCulture).PadLeft(steps.ToString(CultureInfo.InvariantCulture).Length)}/{steps}  MLM loss {MlmLosses[^1]:F3}  NSP loss {NspLosses[^1]:F3}  held out: MLM loss {check.MlmLoss:F3}, NSP accuracy {check.NspAccuracy,6:P1}  {pairs / seconds,7:N1} pairs/s  {positions / seconds,9:N0} tokens/s"));
                    if (settings.Checkpoint is not null) Save(runDirectory, model, train, corpus, optimizer);
                }
                stopped = stop.Requested || settings.StopAfterSteps > 0 && stepsThisRun >= settings.StopAfterSteps;
            }
        }
        progress.Run(steps, MlmLosses.Count, $"step {MlmLosses.Count + 1}/{steps}", report => TrainAll(report is null ? null : step =>
            report(step, FormattableString.Invariant($"step {step}/{steps}  MLM {MlmLosses[^1]:F3}  NSP {NspLosses[^1]:F3}  {positions / watch.Elapsed.TotalSeconds:N0} tokens/s"))));
        double trainSeconds = watch.Elapsed.TotalSeconds;
        double tokensPerSecond = trainSeconds > 0 ? positions / trainSeconds : 0;

        string plotPath = Path.Combine(runDirectory, "losses.png");
        string? plot = null;
        if (MlmLosses.Count > 0 && BertPlot.TrySave(MlmLosses, NspLosses, plotPath, "BERT pre-training: MLM and NSP loss per step", log))
        {
            plot = plotPath;
            log.WriteLine($"Plot of the losses: {plotPath}");
        }
        if (settings.Checkpoint is not null || stopped)
        {
            string path = Save(runDirectory, model, train, corpus, optimizer);
            log.WriteLine($"Checkpoint: {path}");
            log.WriteLine($"Embed with: ./nabla embed --checkpoint {runDirectory} \"a crane is flying\"");
        }
        if (stopped)
        {
            log.WriteLine($"Stopped after step {MlmLosses.Count} of {steps}. Resume with: ./nabla train bert --steps {steps} --checkpoint {runDirectory} --resume");
            return TrainRun.InterruptedExitCode;
        }

        BertEvaluation evaluation = BertPretraining.Evaluate(model, heldOut, BertPretraining.TokenCounts(train));
        Evaluation = evaluation;
        log.WriteLine(FormattableString.Invariant(
            $"Held out ({evaluation.Examples:N0} pairs, {evaluation.Predictions:N0} masked tokens): MLM loss {evaluation.MlmLoss:F3} (token-frequency baseline {evaluation.FrequencyBaselineLoss:F3}), ") +
            FormattableString.Invariant($"MLM accuracy {evaluation.MlmAccuracy:P1} (most frequent token {evaluation.FrequencyBaselineAccuracy:P1}), NSP loss {evaluation.NspLoss:F3}, NSP accuracy {evaluation.NspAccuracy:P1}"));
        if (settings.Json)
        {
            var result = new Dictionary<string, object?>
            {
                ["model"] = BertCheckpoint.ModelName,
                ["corpus"] = corpus.Name,
                ["train_pairs"] = train.Count,
                ["heldout_pairs"] = heldOut.Count,
                ["vocab"] = train.Vocab.Count,
                ["steps"] = MlmLosses.Count,
                ["mlm_loss"] = MlmLosses.Count > 0 ? Math.Round(MlmLosses[^1], 4) : null,
                ["nsp_loss"] = NspLosses.Count > 0 ? Math.Round(NspLosses[^1], 4) : null,
                ["heldout_mlm_loss"] = Math.Round(evaluation.MlmLoss, 4),
                ["heldout_mlm_accuracy"] = Math.Round(evaluation.MlmAccuracy, 4),
                ["frequency_baseline_mlm_loss"] = Math.Round(evaluation.FrequencyBaselineLoss ?? double.NaN, 4),
                ["frequency_baseline_mlm_accuracy"] = Math.Round(evaluation.FrequencyBaselineAccuracy ?? double.NaN, 4),
                ["heldout_nsp_loss"] = Math.Round(evaluation.NspLoss, 4),
                ["heldout_nsp_accuracy"] = Math.Round(evaluation.NspAccuracy, 4),
                ["tokens_per_s"] = Math.Round(tokensPerSecond, 1),
                ["seconds"] = Math.Round(trainSeconds, 2),
                ["plot"] = plot is null ? null : Path.GetFullPath(plot),
            };
            stdout.WriteLine(JsonSerializer.Serialize(result));
            stdout.Flush();
        }
        return 0;
    }

    private string Save(string directory, BertModel model, BertPretrainingDataset train, BertTrainingCorpus corpus, Optimizer optimizer) =>
        BertCheckpoint.Save(directory, model, train.Vocab, corpus.Tokenization, settings, MlmLosses, NspLosses, optimizer, position);

    // The epoch and the batch within it that the next step takes.
    private (int Epoch, int Batch) position;

    // Lines go above the live progress bar, or straight to the log when there is none.
    private void WriteLine(string line) => progress.WriteLine(line);
}
