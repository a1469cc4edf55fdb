using System.Globalization;
using System.Text.Json;
using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Training;
using Nabla.Vision;
using Nabla.Vision.Datasets;
using Spectre.Console;
using SavedRun = (Nabla.Serialization.CheckpointData Data, Nabla.Cli.RunState State);

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
    private readonly DistributedTraining? parallel;

    /// <summary>A run of <paramref name="settings"/>.</summary>
    /// <param name="settings">The command's options.</param>
    /// <param name="console">Where the live progress bar goes (stderr under <c>--json</c>).</param>
    /// <param name="log">Where the header and summary lines go, the writer under <paramref name="console"/>
    /// (written directly so that Spectre does not hard-wrap them at the terminal's width).</param>
    /// <param name="stdout">Where the JSON result goes.</param>
    /// <param name="stop">Set by Ctrl-C; checked after every batch.</param>
    /// <param name="parallel">This process's part of a <c>--distributed</c> run, or null.</param>
    public TrainRun(TrainSettings settings, IAnsiConsole console, TextWriter log, TextWriter stdout, StopSignal stop, DistributedTraining? parallel = null)
    {
        this.parallel = parallel;
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
        if (settings.Pretrained is not null && settings.FineTune is not null)
        {
            throw new ArgumentException("--pretrained and --finetune both name the starting weights; give one.");
        }
        ModelSpec spec = settings.Pretrained is { } weights ? ModelCatalog.GetPretrained(settings.Model, weights) : ModelCatalog.Get(settings.Model);
        string runDirectory = settings.Checkpoint ?? Path.Combine("runs", spec.Name);
        (SavedRun? saved, SavedRun? pretrained) = ReadCheckpoints(spec, runDirectory);
        Recipe recipe = ResolveRecipe(spec, runDirectory, saved, pretrained);
        Session session = Build(recipe);
        WriteHeader(recipe, session);
        (Trainer trainer, session) = CreateTrainer(recipe, session);
        if (TrainEpochs(recipe, session, trainer) is { } interrupted)
        {
            return interrupted;
        }
        Finish(recipe, session);
        return 0;
    }

    /// <summary>The options of this run once a resumed checkpoint, a pretrained run, the sample's recipe and the model's defaults apply.</summary>
    private sealed record Recipe(
        ModelSpec Spec, string RunDirectory, SavedRun? Saved, SavedRun? Pretrained,
        bool Aux, IReadOnlyList<int>? Classes, string? FineTunedFrom, string? FreezeUntil, double? LrBackbone, string? LrSchedule,
        string OptimizerName, long Seed, double Lr, string? DataOption, int Limit, MnistData TrainData, MnistData TestData,
        int BatchSize, int Epochs, double? Width, int InputSize, bool Augment);

    /// <summary>What trains: the model (and its new head's names), the optimizer, the data and the schedule.</summary>
    private sealed record Session(
        Module<Tensor, Tensor> Model, IReadOnlyList<string> Head, Optimizer Optimizer, LRScheduler? Scheduler,
        DataLoader<(Tensor Image, Tensor Label)> TrainLoader, DataLoader<(Tensor Image, Tensor Label)> TestLoader,
        BatchPreparation TrainPreparation, BatchPreparation TestPreparation);

    // Resuming: the checkpoint fixes the recipe; options that contradict it are errors.
    // Fine-tuning: the pretrained run fixes the architecture (width) and, unless --resize, the image size.
    private (SavedRun? Saved, SavedRun? Pretrained) ReadCheckpoints(ModelSpec spec, string runDirectory)
    {
        SavedRun? saved = null;
        if (settings.Resume)
        {
            saved = CheckpointStore.Read(runDirectory);
            ResumeRules.CheckResumable(settings, spec, saved.Value.State, runDirectory);
        }
        else if (settings.Checkpoint is not null)
        {
            CheckpointGuard.RefuseOverwrite(settings.Checkpoint, settings.Overwrite);
        }
        SavedRun? pretrained = null;
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
        else if (saved is null && settings.Pretrained is null && (settings.FreezeUntil is not null || settings.LrBackbone is not null))
        {
            throw new ArgumentException("--freeze-until and --lr-backbone apply to fine-tuning: give the pretrained checkpoint with --finetune DIR, or --pretrained imagenet.");
        }
        if (settings.Aux && !spec.HasAuxLogits)
        {
            throw new ArgumentException($"--aux: {spec.Name} has no auxiliary classifiers; googlenet has.");
        }
        return (saved, pretrained);
    }

    // Loads the data too: on the embedded sample a model may have its own batch size and epochs.
    private Recipe ResolveRecipe(ModelSpec spec, string runDirectory, SavedRun? saved, SavedRun? pretrained)
    {
        bool aux = saved?.State.Aux ?? settings.Aux;
        IReadOnlyList<int>? classes = saved is null ? settings.Classes : saved.Value.State.Classes;
        string? fineTunedFrom = saved?.State.FineTunedFrom ?? settings.FineTune ?? (settings.Pretrained is { } weights ? $"{weights} (published weights)" : null);
        string? freezeUntil = saved is null ? settings.FreezeUntil : saved.Value.State.FreezeUntil;
        double? lrBackbone = saved is null ? settings.LrBackbone : saved.Value.State.LrBackbone;
        string? lrSchedule = saved is null ? settings.LrSchedule : saved.Value.State.LrSchedule;

        string optimizerName = saved?.State.Optimizer ?? settings.Optimizer ?? "sgd";
        long seed = saved?.State.Seed ?? settings.Seed ?? 0;
        double lr = settings.LearningRate ?? (optimizerName == "sgd" ? spec.LearningRate : OptimizerFactory.DefaultLearningRate(optimizerName)!.Value);
        // d2l §14.2: the pre-trained layers learn at a tenth of the new head's rate.
        if (saved is null && settings.Pretrained is not null && lrBackbone is null)
        {
            lrBackbone = lr / 10;
        }

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
        return new Recipe(spec, runDirectory, saved, pretrained, aux, classes, fineTunedFrom, freezeUntil, lrBackbone, lrSchedule,
            optimizerName, seed, lr, dataOption, limit, trainData, testData, batchSize, epochs, width, inputSize, augment);
    }

    // Same order of draws in a fresh and in a resumed run: seed, build (initial weights), then restore.
    private Session Build(Recipe recipe)
    {
        ModelSpec spec = recipe.Spec;
        Generator.ManualSeed(recipe.Seed);
        Module<Tensor, Tensor> model = spec.Build(recipe.Width, recipe.Classes?.Count ?? 10, recipe.Aux);
        IReadOnlyList<string> head = spec.HeadModules(recipe.Aux);
        if (recipe.Pretrained is { } pretrainedRun)
        {
            // The pretrained weights except the head, which stays freshly initialised for the new classes.
            var weights = pretrainedRun.Data.Model.Where(kv => recipe.Aux || !FineTuning.IsUnder(kv.Key, spec.AuxHeads)).ToDictionary(kv => kv.Key, kv => kv.Value);
            FineTuning.LoadBackbone(model, weights, head);
        }
        if (recipe.FreezeUntil is not null)
        {
            Freeze(model, recipe.FreezeUntil, head);
        }
        List<ParamGroup> groups = recipe.FineTunedFrom is null ? [new ParamGroup(model.Parameters())] : FineTuning.ParamGroups(model, head, recipe.LrBackbone);
        Optimizer optimizer = OptimizerFactory.Create(recipe.OptimizerName, groups, recipe.Lr);
        // The group of the pretrained layers keeps its own rate when --lr changes the head's on --resume.
        ParamGroup? backboneGroup = recipe.LrBackbone is not null && groups.Count == 2 ? optimizer.ParamGroups[0] : null;
        var trainLoader = parallel?.TrainLoader(new FashionMnistDataset(recipe.TrainData), recipe.BatchSize, recipe.Seed)
            ?? new DataLoader<(Tensor Image, Tensor Label)>(new FashionMnistDataset(recipe.TrainData), recipe.BatchSize, shuffle: true, generator: new Generator(recipe.Seed));
        var testLoader = new DataLoader<(Tensor Image, Tensor Label)>(new FashionMnistDataset(recipe.TestData), EvaluationBatchSize);
        // The augmentation draws from its own generator (seed + 1: not the loader's stream), so that it
        // neither shifts the shuffling nor the dropout masks of a run without it.
        var trainPreparation = new BatchPreparation(recipe.InputSize, recipe.Augment ? new Generator(recipe.Seed + 1) : null);
        var testPreparation = new BatchPreparation(recipe.InputSize);
        state = new RunState
        {
            Model = spec.Name,
            Optimizer = recipe.OptimizerName,
            BatchSize = recipe.BatchSize,
            Seed = recipe.Seed,
            Data = recipe.DataOption,
            Limit = recipe.Limit,
            Width = recipe.Width,
            InputSize = recipe.InputSize,
            Augment = recipe.Augment,
            Classes = recipe.Classes,
            Aux = recipe.Aux,
            FineTunedFrom = recipe.FineTunedFrom,
            FreezeUntil = recipe.FreezeUntil,
            LrBackbone = recipe.LrBackbone,
            LrSchedule = recipe.LrSchedule,
        };
        if (recipe.Saved is { } checkpoint)
        {
            Restore(checkpoint, recipe.RunDirectory, model, optimizer, backboneGroup, trainLoader, trainPreparation);
        }
        // Created after a resumed optimizer is restored: the rates it holds are those of the next epoch, and the
        // schedule's own state (base rates, epochs done, T_max) comes back from the checkpoint.
        LRScheduler? scheduler = recipe.LrSchedule == "cosine" ? new CosineAnnealingLR(optimizer, tMax: Math.Max(1, recipe.Epochs)) : null;
        if (scheduler is not null && state.SchedulerState.Count > 0)
        {
            ResumeRules.LoadSchedule(scheduler, state.SchedulerState, recipe.Epochs, recipe.RunDirectory);
        }
        return new Session(model, head, optimizer, scheduler, trainLoader, testLoader, trainPreparation, testPreparation);
    }

    // The weights, the optimizer's state, the run's state and every generator as the checkpoint left them; a new --lr for all but the backbone's group.
    private void Restore(SavedRun checkpoint, string runDirectory, Module model, Optimizer optimizer, ParamGroup? backboneGroup,
        DataLoader<(Tensor Image, Tensor Label)> trainLoader, BatchPreparation trainPreparation)
    {
        CheckpointStore.LoadModel(checkpoint.Data, model);
        CheckpointStore.LoadOptimizer(checkpoint.Data, optimizer, CheckpointStore.PathIn(runDirectory));
        state = checkpoint.State;
        parallel?.ResumeTotals(state.Partial);
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

    // The run's one-line description, and for the zoo's CNNs their size and cost.
    private void WriteHeader(Recipe recipe, Session session)
    {
        ModelSpec spec = recipe.Spec;
        RunState run = state!;
        double lr = session.Optimizer.ParamGroups[^1].Lr;
        log.WriteLine(
            $"{(recipe.Saved is null ? "Training" : "Resuming")} {spec.Name} ({spec.Description}) on Fashion-MNIST " +
            $"({recipe.TrainData.Count:N0} train / {recipe.TestData.Count:N0} test images, {recipe.TrainData.Source}): " +
            $"{recipe.Epochs} epoch{(recipe.Epochs == 1 ? "" : "s")}, batch {recipe.BatchSize}, {recipe.OptimizerName.ToUpperInvariant()} lr {lr.ToString(CultureInfo.InvariantCulture)}, seed {recipe.Seed}" +
            (recipe.InputSize == 28 ? "" : $", images resized to {recipe.InputSize}×{recipe.InputSize}") +
            (recipe.Width is { } w ? $", width {w.ToString(CultureInfo.InvariantCulture)}" : "") +
            (session.Scheduler is CosineAnnealingLR cosine ? $", cosine lr schedule to 0 over {cosine.TMax} epochs" : "") +
            (recipe.Augment ? ", augmented (random crop, padding 4; horizontal flip)" : "") +
            (recipe.Classes is null ? "" : $", classes {ClassSelection.Format(recipe.Classes)} ({string.Join(", ", ClassSelection.Names(recipe.Classes))})") +
            (recipe.Aux ? ", auxiliary classifiers (loss + 0.3 × each)" : "") +
            (recipe.FineTunedFrom is null ? "" : $", fine-tuned from {recipe.FineTunedFrom} (new head: {string.Join(", ", session.Head)}" +
                (recipe.FreezeUntil is null ? "" : $"; frozen up to {recipe.FreezeUntil}") +
                (recipe.LrBackbone is { } rate ? $"; backbone lr {rate.ToString(CultureInfo.InvariantCulture)}" : "") + ")") +
            (recipe.Saved is null ? "" : $", from epoch {run.CompletedEpochs + 1}{(run.Partial.Batches > 0 ? $" batch {run.Partial.Batches + 1}" : "")}"));

        if (parallel is not null)
        {
            log.WriteLine(parallel.Describe(recipe.BatchSize));
        }

        if (spec.HasWidth)
        {
            // The zoo's models cost from a few MMACs to a GMAC per image: say how much, so that --width and --resize are found.
            ModelSummary summary = ModelSummary.Summary(session.Model, spec.InputShape(1, recipe.InputSize));
            log.WriteLine(FormattableString.Invariant(
                $"{spec.Name}: {summary.TotalParameters / 1e6:F2} M parameters, {summary.TotalMultiplyAccumulates / 1e6:N1} M multiply-accumulates per image (forward); --width and --resize make it smaller."));
        }
    }

    private bool checkpointWritten;

    // Between epochs the loader's and the augmentation's generators are where the next epoch starts;
    // within one they stay as the epoch in progress found them, so that it is drawn again the same way.
    // Under --distributed only rank 0 writes the checkpoint (every rank holds the same weights).
    private string SaveCheckpoint(Recipe recipe, Session session, bool betweenEpochs)
    {
        RunState run = state!;
        if (betweenEpochs)
        {
            run.LoaderState = session.TrainLoader.GetState();
            run.AugmentState = session.TrainPreparation.Generator?.GetState() ?? [];
        }
        run.DefaultGeneratorState = Generator.Default.GetState();
        checkpointWritten = true;
        return parallel is { IsRoot: false } ? CheckpointStore.PathIn(recipe.RunDirectory) : CheckpointStore.Save(recipe.RunDirectory, session.Model, session.Optimizer, run);
    }

    private static string PlotPathIn(Recipe recipe) => Path.Combine(recipe.RunDirectory, "curves.png");

    // Under --distributed the trainer runs the wrapped model, and each process's share of a batch follows its timed speed.
    private (Trainer Trainer, Session Session) CreateTrainer(Recipe recipe, Session session)
    {
        var model = settings.Compile ? Compiled(recipe, session.Model) : session.Model;
        var trainer = new Trainer(parallel?.Wrap(model, recipe.OptimizerName, session.Optimizer, session.Scheduler is not null) ?? model, session.Optimizer);
        if (parallel is not null)
        {
            var split = parallel.SplitBySpeed(session.TrainLoader, (images, labels) => Functional.CrossEntropy(trainer.Model.Call(session.TrainPreparation.Apply(images)), labels).Backward(), recipe.BatchSize, log);
            session = session with { TrainLoader = split };
        }
        return (trainer, session);
    }

    // --compile: the training forward as a static graph traced on a zero batch of the run's input size (the parameters stay the
    // model's, so the optimizer, evaluation and checkpoints see them unchanged); a model the graph cannot train is a clear error.
    private Module<Tensor, Tensor> Compiled(Recipe recipe, Module<Tensor, Tensor> model)
    {
        if (recipe.Aux)
        {
            throw new ArgumentException("--compile: the auxiliary classifiers of --aux are not part of the traced forward; leave out one of the two.");
        }
        try
        {
            var compiled = Nabla.Jit.Jit.CompileForTraining(model, Tensor.Zeros(recipe.Spec.InputShape(2, recipe.InputSize)));
            log.WriteLine($"{recipe.Spec.Name}: training through its compiled graph ({compiled.Graph.Nodes.Count} nodes).");
            return compiled;
        }
        catch (Exception error) when (error is NotSupportedException or Nabla.Jit.TracingException)
        {
            throw new ArgumentException($"--compile: {recipe.Spec.Name} cannot train through a compiled graph: {error.Message}", error);
        }
    }

    // The epochs left: train, evaluate, step the schedule, print, plot, checkpoint. Returns the exit status of a
    // run stopped by Ctrl-C (or --stop-after), null when every epoch finished.
    private int? TrainEpochs(Recipe recipe, Session session, Trainer trainer)
    {
        RunState run = state!;
        ModelSpec spec = recipe.Spec;
        int epochs = recipe.Epochs;
        DataLoader<(Tensor Image, Tensor Label)> trainLoader = session.TrainLoader;
        int batchesThisRun = 0;
        var divergence = new Divergence();
        bool LocalStopRequested() => divergence.Check(run.Partial) || stop.Requested || (settings.StopAfterBatches > 0 && ++batchesThisRun >= settings.StopAfterBatches);
        // Ranks stop at the same batch (one all-reduce of the flag per batch), except asynchronous ones, which meet at the epoch's end only.
        bool StopRequested() => parallel is { IsAsynchronous: false } ? parallel.AnyRank(LocalStopRequested()) : LocalStopRequested();
        string plotPath = PlotPathIn(recipe);
        while (run.CompletedEpochs < epochs)
        {
            int epoch = run.CompletedEpochs + 1;
            if (run.Partial.Batches == 0)
            {
                run.LoaderState = trainLoader.GetState();
                run.AugmentState = session.TrainPreparation.Generator?.GetState() ?? [];
            }
            parallel?.SetEpoch(epoch);
            bool finished = TrainEpochWithProgress(trainer, session.TrainPreparation.Over(trainLoader), trainLoader.Count, epoch, epochs, StopRequested);
            parallel?.EndSteps();
            if (parallel is { IsAsynchronous: true })
            {
                // Asynchronous ranks stop on their own requests: if one stopped inside the epoch, all take the stop's path.
                finished = !parallel.AnyRank(!finished);
            }
            // One rank's non-finite loss reaches every rank's weights through the averaged gradients: all stop together.
            if (parallel?.AnyRank(divergence.Diverged) ?? divergence.Diverged)
            {
                // The weights are not finite any more: the checkpoint on disk (if any) stays the last good one.
                throw new TrainingDivergedException(divergence.Describe(epoch, trainLoader.Count,
                    checkpointWritten || recipe.Saved is not null ? CheckpointStore.PathIn(recipe.RunDirectory) : null));
            }
            if (!finished)
            {
                parallel?.CombineTotals(run.Partial);
                parallel?.TakeServerParameters();
                string path = SaveCheckpoint(recipe, session, betweenEpochs: false);
                log.WriteLine($"Stopped in epoch {epoch} after batch {run.Partial.Batches} of {trainLoader.Count}; checkpoint saved to {path}.");
                log.WriteLine($"Resume with: ./nabla train {spec.Name} --epochs {epochs} --checkpoint {recipe.RunDirectory} --resume");
                return InterruptedExitCode;
            }
            parallel?.CombineTotals(run.Partial);
            parallel?.TakeServerParameters();
            // Under --distributed rank 0 evaluates (the ranks hold the same weights) and tells the others.
            double testAccuracy = parallel is { IsRoot: false } ? 0 : Trainer.Evaluate(session.Model, session.TestPreparation.Over(session.TestLoader));
            testAccuracy = parallel?.FromRoot(testAccuracy) ?? testAccuracy;
            EpochMetrics metrics = Trainer.Summarize(epoch, run.Partial, testAccuracy);
            run.History.Add(metrics);
            run.CompletedEpochs = epoch;
            run.Partial = new EpochTotals();
            if (session.Scheduler is { } scheduler)
            {
                scheduler.Step();
                run.SchedulerState = scheduler.StateDict();
            }
            log.WriteLine(SummaryLine(metrics, epochs));
            TryPlot(run.History, plotPath, spec.Name);
            if (settings.Checkpoint is not null || stop.Requested)
            {
                string path = SaveCheckpoint(recipe, session, betweenEpochs: true);
                if (stop.Requested)
                {
                    log.WriteLine($"Stopped after epoch {epoch}; checkpoint saved to {path}.");
                    log.WriteLine($"Resume with: ./nabla train {spec.Name} --epochs {epochs} --checkpoint {recipe.RunDirectory} --resume");
                    return InterruptedExitCode;
                }
            }
        }
        return null;
    }

    // The final plot, the checkpoint's path and the JSON result.
    private void Finish(Recipe recipe, Session session)
    {
        RunState run = state!;
        string plotPath = PlotPathIn(recipe);
        if (run.History.Count > 0 && TryPlot(run.History, plotPath, recipe.Spec.Name))
        {
            PlotPath = plotPath;
            log.WriteLine($"Plot of the training curves: {plotPath}");
        }
        if (settings.Checkpoint is not null)
        {
            // With nothing left to train (--epochs 0, or a finished run resumed) the checkpoint is still written: the initial or restored state.
            log.WriteLine($"Checkpoint: {(checkpointWritten ? CheckpointStore.PathIn(recipe.RunDirectory) : SaveCheckpoint(recipe, session, betweenEpochs: run.Partial.Batches == 0))}");
        }
        if (settings.Json)
        {
            stdout.WriteLine(ResultJson(recipe.Spec.Name, run.History, PlotPath));
            stdout.Flush();
        }
    }

    // Where the plot cannot be written (a full disk, a read-only folder), training goes on without it.
    private bool TryPlot(IReadOnlyList<EpochMetrics> history, string path, string model)
    {
        if (parallel is { IsRoot: false })
        {
            return false;
        }
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
