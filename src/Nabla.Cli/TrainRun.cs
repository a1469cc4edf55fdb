using System.Globalization;
using System.Text.Json;
using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Training;
using Nabla.Vision;
using Nabla.Vision.Datasets;
using Spectre.Console;

namespace Nabla.Cli;

/// <summary>
/// One <c>nabla train</c> run: loads the data, builds the model and optimizer (or restores them
/// from a checkpoint), trains epoch by epoch with a progress bar, prints a summary line per epoch,
/// checkpoints, plots, and reports.
/// </summary>
public sealed class TrainRun
{
    /// <summary>Exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).</summary>
    public const int InterruptedExitCode = 130;

    /// <summary>The values of <c>--lr-schedule</c>.</summary>
    public static readonly string[] LrSchedules = ["cosine"];

    private const int EvaluationBatchSize = 1024;

    private readonly TrainSettings settings;
    private readonly IAnsiConsole console;
    private readonly TextWriter log;
    private readonly TextWriter stdout;
    private readonly StopSignal stop;

    /// <summary>A run of <paramref name="settings"/>.</summary>
    /// <param name="settings">The command's options.</param>
    /// <param name="console">Where the live progress bar goes (stderr under <c>--json</c>).</param>
    /// <param name="log">Where the header and summary lines go, the writer under <paramref name="console"/>
    /// (written directly so that Spectre does not hard-wrap them at the terminal's width).</param>
    /// <param name="stdout">Where the JSON result goes.</param>
    /// <param name="stop">Set by Ctrl-C; checked after every batch.</param>
    public TrainRun(TrainSettings settings, IAnsiConsole console, TextWriter log, TextWriter stdout, StopSignal stop)
    {
        this.settings = settings;
        this.console = console;
        this.log = log;
        this.stdout = stdout;
        this.stop = stop;
    }

    /// <summary>The finished epochs, after <see cref="Run"/>.</summary>
    public IReadOnlyList<EpochMetrics> History => state?.History ?? [];

    /// <summary>The plot written, after <see cref="Run"/>.</summary>
    public string? PlotPath { get; private set; }

    private RunState? state;

    /// <summary>Trains; returns the process exit status (0, or <see cref="InterruptedExitCode"/> after Ctrl-C).</summary>
    public int Run()
    {
        ModelSpec spec = ModelCatalog.Get(settings.Model);
        string runDirectory = settings.Checkpoint ?? Path.Combine("runs", spec.Name);

        // Resuming: the checkpoint fixes the recipe; options that contradict it are errors.
        (Serialization.CheckpointData Data, RunState State)? saved = null;
        if (settings.Resume)
        {
            saved = CheckpointStore.Read(runDirectory);
            ResumeRules.CheckResumable(settings, spec, saved.Value.State, runDirectory);
        }
        else if (settings.Checkpoint is not null)
        {
            CheckpointGuard.RefuseOverwrite(settings.Checkpoint, settings.Overwrite);
        }
        // Fine-tuning: the pretrained run fixes the architecture (width) and, unless --resize, the image size.
        (Serialization.CheckpointData Data, RunState State)? pretrained = null;
        if (saved is null && settings.FineTune is { } source)
        {
            pretrained = CheckpointStore.Read(source);
            if (pretrained.Value.State.Model != spec.Name)
            {
                throw new ArgumentException($"--finetune: the checkpoint in {source} holds a '{pretrained.Value.State.Model}' model, not '{spec.Name}'.");
            }
            if (settings.Width is { } requested && requested != pretrained.Value.State.Width)
            {
                throw new ArgumentException($"--finetune: the checkpoint in {source} was trained at width {pretrained.Value.State.Width?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}; leave --width out to fine-tune it.");
            }
        }
        else if (saved is null && (settings.FreezeUntil is not null || settings.LrBackbone is not null))
        {
            throw new ArgumentException("--freeze-until and --lr-backbone apply to fine-tuning: give the pretrained checkpoint with --finetune DIR.");
        }
        if (settings.Aux && !spec.HasAuxLogits)
        {
            throw new ArgumentException($"--aux: {spec.Name} has no auxiliary classifiers; googlenet has.");
        }
        bool aux = saved?.State.Aux ?? settings.Aux;
        IReadOnlyList<int>? classes = saved is null ? settings.Classes : saved.Value.State.Classes;
        int numClasses = classes?.Count ?? 10;
        string? fineTunedFrom = saved?.State.FineTunedFrom ?? settings.FineTune;
        string? freezeUntil = saved is null ? settings.FreezeUntil : saved.Value.State.FreezeUntil;
        double? lrBackbone = saved is null ? settings.LrBackbone : saved.Value.State.LrBackbone;
        string? lrSchedule = saved is null ? settings.LrSchedule : saved.Value.State.LrSchedule;

        string optimizerName = saved?.State.Optimizer ?? settings.Optimizer ?? "sgd";
        long seed = saved?.State.Seed ?? settings.Seed ?? 0;
        double lr = settings.LearningRate ?? (optimizerName == "sgd" ? spec.LearningRate : OptimizerFactory.DefaultLearningRate(optimizerName)!.Value);

        string? dataOption = settings.Data ?? saved?.State.Data;
        int limit = saved?.State.Limit ?? settings.Limit;
        MnistData trainData = ClassSelection.Apply(DataSource.Load(train: true, dataOption, limit), classes);
        MnistData testData = ClassSelection.Apply(DataSource.Load(train: false, dataOption, limit), classes);
        DataSource.RequireImages(trainData, "training");
        DataSource.RequireImages(testData, "test");
        if (trainData.IsEmbeddedSample && dataOption is null)
        {
            log.WriteLine(DataSource.SampleNotice);
        }
        // The course's recipe is for 60,000 images; on the sample (a tenth) a model may have its own, said so here.
        SampleRecipe? sampleRecipe = trainData.IsEmbeddedSample && limit == 0 ? spec.SampleRecipe : null;
        int batchSize = saved?.State.BatchSize ?? settings.BatchSize ?? sampleRecipe?.BatchSize ?? spec.BatchSize;
        int epochs = settings.Epochs ?? ResumeRules.SavedScheduleLength(saved?.State) ?? sampleRecipe?.Epochs ?? spec.Epochs;
        if (sampleRecipe is not null && saved is null && (settings.Epochs is null || settings.BatchSize is null))
        {
            log.WriteLine(sampleRecipe.Describe(spec));
        }

        if (settings.Width is not null && !spec.HasWidth)
        {
            throw new ArgumentException($"--width: {spec.Name} has no width multiplier; the zoo's CNNs have one.");
        }
        double? width = saved is null ? settings.Width ?? pretrained?.State.Width ?? spec.DefaultWidth : saved.Value.State.Width;
        int inputSize = saved?.State.InputSize ?? settings.Resize ?? pretrained?.State.InputSize ?? spec.InputSize;
        if (inputSize < spec.MinInputSize)
        {
            throw new ArgumentException($"--resize {inputSize}: {spec.Name} needs images of at least {spec.MinInputSize}×{spec.MinInputSize}.");
        }
        bool augment = saved?.State.Augment ?? settings.Augment;

        // Same order of draws in a fresh and in a resumed run: seed, build (initial weights), then restore.
        Generator.ManualSeed(seed);
        Module<Tensor, Tensor> model = spec.Build(width, numClasses, aux);
        IReadOnlyList<string> head = spec.HeadModules(aux);
        if (pretrained is { } pretrainedRun)
        {
            // The pretrained weights except the head, which stays freshly initialised for the new classes.
            var weights = pretrainedRun.Data.Model.Where(kv => aux || !FineTuning.IsUnder(kv.Key, spec.AuxHeads)).ToDictionary(kv => kv.Key, kv => kv.Value);
            FineTuning.LoadBackbone(model, weights, head);
        }
        if (freezeUntil is not null)
        {
            Freeze(model, freezeUntil, head);
        }
        List<ParamGroup> groups = fineTunedFrom is null ? [new ParamGroup(model.Parameters())] : FineTuning.ParamGroups(model, head, lrBackbone);
        Optimizer optimizer = OptimizerFactory.Create(optimizerName, groups, lr);
        // The group of the pretrained layers keeps its own rate when --lr changes the head's on --resume.
        ParamGroup? backboneGroup = lrBackbone is not null && groups.Count == 2 ? optimizer.ParamGroups[0] : null;
        var trainLoader = new DataLoader<(Tensor Image, Tensor Label)>(new FashionMnistDataset(trainData), batchSize, shuffle: true,
            generator: new Generator(seed));
        var testLoader = new DataLoader<(Tensor Image, Tensor Label)>(new FashionMnistDataset(testData), EvaluationBatchSize);
        // The augmentation draws from its own generator (seed + 1: not the loader's stream), so that it
        // neither shifts the shuffling nor the dropout masks of a run without it.
        var trainPreparation = new BatchPreparation(inputSize, augment ? new Generator(seed + 1) : null);
        var testPreparation = new BatchPreparation(inputSize);
        state = new RunState
        {
            Model = spec.Name,
            Optimizer = optimizerName,
            BatchSize = batchSize,
            Seed = seed,
            Data = dataOption,
            Limit = limit,
            Width = width,
            InputSize = inputSize,
            Augment = augment,
            Classes = classes,
            Aux = aux,
            FineTunedFrom = fineTunedFrom,
            FreezeUntil = freezeUntil,
            LrBackbone = lrBackbone,
            LrSchedule = lrSchedule,
        };
        if (saved is { } checkpoint)
        {
            CheckpointStore.LoadModel(checkpoint.Data, model);
            CheckpointStore.LoadOptimizer(checkpoint.Data, optimizer, CheckpointStore.PathIn(runDirectory));
            state = checkpoint.State;
            trainLoader.SetState(state.LoaderState);
            if (trainPreparation.Generator is { } augmentGenerator && state.AugmentState.Length > 0)
            {
                augmentGenerator.SetState(state.AugmentState);
            }
            Generator.Default.SetState(state.DefaultGeneratorState);
            if (settings.LearningRate is { } newLr)
            {
                foreach (ParamGroup group in optimizer.ParamGroups)
                {
                    if (!ReferenceEquals(group, backboneGroup))
                    {
                        group.Lr = newLr;
                    }
                }
            }
        }
        lr = optimizer.ParamGroups[^1].Lr;
        // Created after a resumed optimizer is restored: the rates it holds are those of the next epoch, and the
        // schedule's own state (base rates, epochs done, T_max) comes back from the checkpoint.
        LRScheduler? scheduler = lrSchedule == "cosine" ? new CosineAnnealingLR(optimizer, tMax: Math.Max(1, epochs)) : null;
        if (scheduler is not null && state.SchedulerState.Count > 0)
        {
            ResumeRules.LoadSchedule(scheduler, state.SchedulerState, epochs, runDirectory);
        }

        log.WriteLine(
            $"{(saved is null ? "Training" : "Resuming")} {spec.Name} ({spec.Description}) on Fashion-MNIST " +
            $"({trainData.Count:N0} train / {testData.Count:N0} test images, {trainData.Source}): " +
            $"{epochs} epoch{(epochs == 1 ? "" : "s")}, batch {batchSize}, {optimizerName.ToUpperInvariant()} lr {lr.ToString(CultureInfo.InvariantCulture)}, seed {seed}" +
            (inputSize == 28 ? "" : $", images resized to {inputSize}×{inputSize}") +
            (width is { } w ? $", width {w.ToString(CultureInfo.InvariantCulture)}" : "") +
            (scheduler is CosineAnnealingLR cosine ? $", cosine lr schedule to 0 over {cosine.TMax} epochs" : "") +
            (augment ? ", augmented (random crop, padding 4; horizontal flip)" : "") +
            (classes is null ? "" : $", classes {ClassSelection.Format(classes)} ({string.Join(", ", ClassSelection.Names(classes))})") +
            (aux ? ", auxiliary classifiers (loss + 0.3 × each)" : "") +
            (fineTunedFrom is null ? "" : $", fine-tuned from {fineTunedFrom} (new head: {string.Join(", ", head)}" +
                (freezeUntil is null ? "" : $"; frozen up to {freezeUntil}") +
                (lrBackbone is { } rate ? $"; backbone lr {rate.ToString(CultureInfo.InvariantCulture)}" : "") + ")") +
            (saved is null ? "" : $", from epoch {state.CompletedEpochs + 1}{(state.Partial.Batches > 0 ? $" batch {state.Partial.Batches + 1}" : "")}"));

        if (spec.HasWidth)
        {
            // The zoo's models cost from a few MMACs to a GMAC per image: say how much, so that --width and --resize are found.
            ModelSummary summary = ModelSummary.Summary(model, spec.InputShape(1, inputSize));
            log.WriteLine(FormattableString.Invariant(
                $"{spec.Name}: {summary.TotalParameters / 1e6:F2} M parameters, {summary.TotalMultiplyAccumulates / 1e6:N1} M multiply-accumulates per image (forward); --width and --resize make it smaller."));
        }

        var trainer = new Trainer(model, optimizer);
        int batchesThisRun = 0;
        var divergence = new Divergence();
        bool StopRequested() => divergence.Check(state.Partial) || stop.Requested || (settings.StopAfterBatches > 0 && ++batchesThisRun >= settings.StopAfterBatches);
        bool written = false;
        // Between epochs the loader's and the augmentation's generators are where the next epoch starts;
        // within one they stay as the epoch in progress found them, so that it is drawn again the same way.
        string SaveCheckpoint(bool betweenEpochs)
        {
            if (betweenEpochs)
            {
                state.LoaderState = trainLoader.GetState();
                state.AugmentState = trainPreparation.Generator?.GetState() ?? [];
            }
            state.DefaultGeneratorState = Generator.Default.GetState();
            written = true;
            return CheckpointStore.Save(runDirectory, model, optimizer, state);
        }
        string plotPath = Path.Combine(runDirectory, "curves.png");
        while (state.CompletedEpochs < epochs)
        {
            int epoch = state.CompletedEpochs + 1;
            if (state.Partial.Batches == 0)
            {
                state.LoaderState = trainLoader.GetState();
                state.AugmentState = trainPreparation.Generator?.GetState() ?? [];
            }
            bool finished = TrainEpochWithProgress(trainer, trainPreparation.Over(trainLoader), trainLoader.Count, epoch, epochs, StopRequested);
            if (divergence.Diverged)
            {
                // The weights are not finite any more: the checkpoint on disk (if any) stays the last good one.
                throw new TrainingDivergedException(divergence.Describe(epoch, trainLoader.Count, written || saved is not null ? CheckpointStore.PathIn(runDirectory) : null));
            }
            if (!finished)
            {
                string path = SaveCheckpoint(betweenEpochs: false);
                log.WriteLine($"Stopped in epoch {epoch} after batch {state.Partial.Batches} of {trainLoader.Count}; checkpoint saved to {path}.");
                log.WriteLine($"Resume with: ./nabla train {spec.Name} --epochs {epochs} --checkpoint {runDirectory} --resume");
                return InterruptedExitCode;
            }
            double testAccuracy = Trainer.Evaluate(model, testPreparation.Over(testLoader));
            EpochMetrics metrics = Trainer.Summarize(epoch, state.Partial, testAccuracy);
            state.History.Add(metrics);
            state.CompletedEpochs = epoch;
            state.Partial = new EpochTotals();
            if (scheduler is not null)
            {
                scheduler.Step();
                state.SchedulerState = scheduler.StateDict();
            }
            log.WriteLine(SummaryLine(metrics, epochs));
            TryPlot(state.History, plotPath, spec.Name);
            if (settings.Checkpoint is not null || stop.Requested)
            {
                string path = SaveCheckpoint(betweenEpochs: true);
                if (stop.Requested)
                {
                    log.WriteLine($"Stopped after epoch {epoch}; checkpoint saved to {path}.");
                    log.WriteLine($"Resume with: ./nabla train {spec.Name} --epochs {epochs} --checkpoint {runDirectory} --resume");
                    return InterruptedExitCode;
                }
            }
        }

        if (state.History.Count > 0 && TryPlot(state.History, plotPath, spec.Name))
        {
            PlotPath = plotPath;
            log.WriteLine($"Plot of the training curves: {plotPath}");
        }
        if (settings.Checkpoint is not null)
        {
            // With nothing left to train (--epochs 0, or a finished run resumed) the checkpoint is still written: the initial or restored state.
            log.WriteLine($"Checkpoint: {(written ? CheckpointStore.PathIn(runDirectory) : SaveCheckpoint(betweenEpochs: state.Partial.Batches == 0))}");
        }
        if (settings.Json)
        {
            stdout.WriteLine(ResultJson(spec.Name, state.History, PlotPath));
            stdout.Flush();
        }
        return 0;
    }

    // Where the plot cannot be written (a full disk, a read-only folder), training goes on without it.
    private bool TryPlot(IReadOnlyList<EpochMetrics> history, string path, string model)
    {
        try
        {
            CurvePlot.Save(history, path, $"{model} on Fashion-MNIST");
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            if (!plotWarned)
            {
                log.WriteLine($"No plot: {exception.GetBaseException().Message}");
                plotWarned = true;
            }
            return false;
        }
    }

    private bool plotWarned;

    // Freezes the modules up to freezeUntil (a top-level module, or a dotted path into one); the new head must stay trainable.
    private static void Freeze(Module model, string freezeUntil, IReadOnlyList<string> head)
    {
        IReadOnlyList<string> frozen;
        try
        {
            frozen = FineTuning.ModulesUntil(model, freezeUntil);
        }
        catch (ArgumentException exception)
        {
            throw new ArgumentException($"--freeze-until {freezeUntil}: {exception.Message["FreezeUntil: ".Length..]}", exception);
        }
        string? frozenHead = frozen.FirstOrDefault(module => head.Any(h => FineTuning.IsUnder(h, [module]) || FineTuning.IsUnder(module, [h])));
        if (frozenHead is not null)
        {
            IReadOnlyList<string> names = FineTuning.ChildNames(model);
            var before = names.TakeWhile(name => !head.Any(h => FineTuning.IsUnder(h, [name]))).ToList();
            throw new ArgumentException($"--freeze-until {freezeUntil}: that would freeze the new head ({string.Join(", ", head.Where(h => FineTuning.IsUnder(h, [frozenHead]) || FineTuning.IsUnder(frozenHead, [h])))}); " +
                (before.Count > 0 ? $"choose a module before it: {string.Join(", ", before)}." : $"choose a path into {names[0]} that stops before it, such as {names[0]}.0."));
        }
        FineTuning.FreezeUntil(model, freezeUntil);
    }

    private bool TrainEpochWithProgress(Trainer trainer, IEnumerable<(Tensor Image, Tensor Label)> loader, int batchCount, int epoch, int epochs, Func<bool> stopRequested)
    {
        RunState run = state!;
        if (!console.Profile.Capabilities.Interactive)
        {
            return trainer.TrainEpoch(epoch, loader, batchCount, run.Partial, stopRequested);
        }
        bool finished = false;
        console.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask(Describe(epoch, epochs, null), maxValue: batchCount);
                task.Value = run.Partial.Batches;
                trainer.BatchEnd = metrics =>
                {
                    task.Value = metrics.Batch;
                    task.Description = Describe(epoch, epochs, metrics);
                };
                try
                {
                    finished = trainer.TrainEpoch(epoch, loader, batchCount, run.Partial, stopRequested);
                }
                finally
                {
                    trainer.BatchEnd = null;
                }
            });
        return finished;
    }

    private static string Describe(int epoch, int epochs, BatchMetrics? metrics) =>
        metrics is { } m
            ? FormattableString.Invariant($"epoch {epoch}/{epochs}  loss {m.Loss:F4}  acc {m.Accuracy:F3}  {m.SamplesPerSecond:N0} samples/s")
            : $"epoch {epoch}/{epochs}";

    /// <summary>The line printed after each epoch.</summary>
    public static string SummaryLine(EpochMetrics m, int epochs) =>
        FormattableString.Invariant(
            $"epoch {m.Epoch.ToString().PadLeft(epochs.ToString().Length)}/{epochs}  train loss {m.TrainLoss:F4}  train acc {m.TrainAccuracy:F4}  test acc {m.TestAccuracy:F4}  {m.Seconds:F1} s  ({m.SamplesPerSecond:N0} samples/s)");

    /// <summary>The single JSON line of <c>--json</c>.</summary>
    public static string ResultJson(string model, IReadOnlyList<EpochMetrics> history, string? plot)
    {
        EpochMetrics? last = history.Count > 0 ? history[^1] : null;
        var seconds = history.Select(m => m.Seconds).Order().ToArray();
        double median = seconds.Length == 0 ? double.NaN
            : seconds.Length % 2 == 1 ? seconds[seconds.Length / 2] : (seconds[seconds.Length / 2 - 1] + seconds[seconds.Length / 2]) / 2;
        double totalSeconds = history.Sum(m => m.Seconds);
        double samples = history.Sum(m => m.Seconds * m.SamplesPerSecond);
        var result = new Dictionary<string, object?>
        {
            ["model"] = model,
            ["epochs"] = history.Count,
            ["train_loss"] = Finite(last?.TrainLoss),
            ["train_acc"] = Finite(last?.TrainAccuracy),
            ["test_acc"] = Finite(last?.TestAccuracy),
            ["median_epoch_s"] = double.IsNaN(median) ? null : Math.Round(median, 4),
            ["samples_per_s"] = totalSeconds > 0 ? Math.Round(samples / totalSeconds, 1) : null,
            ["plot"] = plot is null ? null : Path.GetFullPath(plot),
        };
        return JsonSerializer.Serialize(result);
    }

    // JSON has no NaN: a figure that is not a number is null.
    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
