using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Nabla.Serialization;
using Nabla.Vision;
using Nabla.Vision.Gan;
using Spectre.Console;

namespace Nabla.Cli;

/// <summary>
/// One <c>nabla train gan --kind dcgan|wgan-gp|cgan</c> run on Fashion-MNIST padded to 32×32: the recipe on the first line, a
/// progress bar with the discriminator's and generator's losses (and WGAN-GP's Wasserstein estimate), after every epoch a PNG
/// of samples from one fixed noise batch (the conditional GAN: one row per class) and the loss curves, a checkpoint to resume.
/// </summary>
public sealed class GanRun
{
    /// <summary>Images in the grid of samples of an unconditional GAN (8 × 8).</summary>
    public const int GridImages = 64;

    /// <summary>Images per class (per row) in the conditional GAN's grid.</summary>
    public const int GridColumnsPerClass = 8;

    // The curve gets about this many points (means of the losses over a window of steps) per epoch.
    private const int CurvePointsPerEpoch = 20;

    private GanSettings settings;
    private readonly IAnsiConsole console;
    private readonly TextWriter log;
    private readonly TextWriter stdout;
    private readonly StopSignal stop;
    private readonly LiveProgress progress;

    /// <summary>A run of <paramref name="settings"/>; the writers play the roles they play in <see cref="TrainRun"/>.</summary>
    public GanRun(GanSettings settings, IAnsiConsole console, TextWriter log, TextWriter stdout, StopSignal stop)
    {
        this.settings = settings;
        this.console = console;
        this.log = log;
        this.stdout = stdout;
        this.stop = stop;
        progress = new LiveProgress(console, log);
    }

    /// <summary>The finished epochs, after <see cref="Run"/>.</summary>
    public List<GanEpoch> History { get; } = [];

    /// <summary>The running losses (step, D, G, Wasserstein or NaN), one point every few steps.</summary>
    public List<double[]> Curve { get; } = [];

    /// <summary>The fixed noise of the sample grids (and the conditional GAN's classes), from seed + 3.</summary>
    public static (Tensor Noise, Tensor? Labels) FixedNoise(GanRecipe recipe, long seed)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        int count = recipe.IsConditional ? recipe.NumClasses * GridColumnsPerClass : GridImages;
        var noise = Tensor.Randn([count, recipe.LatentDim], generator: new Generator(seed + 3));
        if (!recipe.IsConditional) return (noise, null);
        var labels = new long[count];
        for (int i = 0; i < count; i++) labels[i] = i / GridColumnsPerClass; // one row per class
        return (noise, Tensor.From(labels, count));
    }

    /// <summary>Trains; returns the exit status (0, or <see cref="TrainRun.InterruptedExitCode"/> after Ctrl-C).</summary>
    public int Run()
    {
        string runDirectory = settings.Checkpoint ?? Path.Combine("runs", $"gan-{GanKinds.Name(settings.Kind)}");
        CheckpointData? saved = null;
        GanCheckpoint.State? savedState = null;
        if (settings.Resume)
        {
            (saved, savedState) = GanCheckpoint.Read(runDirectory);
            settings = savedState.Settings with { Epochs = settings.Epochs ?? savedState.Settings.Epochs, Checkpoint = runDirectory, Resume = true, Json = settings.Json, StopAfterBatches = settings.StopAfterBatches };
        }
        else if (settings.Checkpoint is not null)
        {
            CheckpointGuard.RefuseOverwrite(settings.Checkpoint, settings.Overwrite);
        }
        GanRecipe recipe = savedState?.Recipe ?? GanRecipe.For(settings.Kind) with
        {
            LearningRate = settings.LearningRate ?? GanRecipe.For(settings.Kind).LearningRate,
            Features = settings.Features ?? GanSettings.DefaultFeatures,
        };
        MnistData train = DataSource.Load(train: true, settings.Data, settings.Limit);
        if (train.IsEmbeddedSample && settings.Data is null)
        {
            log.WriteLine(DataSource.SampleNotice);
        }
        var (images, labels) = GanImages.FromMnist(train);
        var weights = new Generator(settings.Seed);
        var trainer = new GanTrainer(recipe, recipe.CreateGenerator(weights), recipe.CreateDiscriminator(weights), new Generator(settings.Seed + 1));
        var shuffle = new Generator(settings.Seed + 2);
        if (saved is not null && savedState is not null)
        {
            GanCheckpoint.LoadTrainer(saved, trainer);
            trainer.Noise.SetState(savedState.NoiseState);
            shuffle.SetState(savedState.ShuffleState);
            trainer.CriticStepsTaken = savedState.CriticStepsTaken;
            History.AddRange(savedState.History);
            Curve.AddRange(savedState.Curve);
            log.WriteLine(FormattableString.Invariant($"Resuming {runDirectory} after epoch {History.Count}."));
        }
        int epochs = settings.Epochs ?? GanSettings.DefaultEpochs(recipe.Kind);
        settings = settings with { Epochs = epochs };
        log.WriteLine(Recipe(recipe, train, epochs));

        var (fixedNoise, fixedLabels) = FixedNoise(recipe, settings.Seed);
        int count = images.Size(0), steps = 0;
        epochShuffleState = shuffle.GetState();
        int curveEvery = Math.Max(1, count / settings.BatchSize / CurvePointsPerEpoch);
        bool stopped = false;
        var watch = Stopwatch.StartNew();
        int imagesSeen = 0;
        string samplesPath = Path.Combine(runDirectory, "samples.png"), plotPath = Path.Combine(runDirectory, "losses.png");
        // The running sums of the epoch under way, saved when a run stops inside it.
        var partial = savedState?.Partial ?? new GanPartial();
        void TrainAll(Action<int, double, double, double?>? batchEnd)
        {
            for (int epoch = History.Count + 1; epoch <= epochs && !stopped; epoch++)
            {
                var epochWatch = Stopwatch.StartNew();
                // The state before this epoch's permutation is what a checkpoint keeps: resuming draws the same order again.
                epochShuffleState = shuffle.GetState();
                var order = Tensor.RandPerm(count, shuffle);
                // Only full batches: batch norm and the critic's penalty see the same batch size at every step.
                for (int start = partial.Steps * settings.BatchSize; start + settings.BatchSize <= count; start += settings.BatchSize)
                {
                    var index = order.Narrow(0, start, settings.BatchSize);
                    GanStepLosses losses = trainer.Step(images.IndexSelect(0, index), recipe.IsConditional ? labels.IndexSelect(0, index) : null);
                    partial.Add(losses);
                    steps++;
                    imagesSeen += settings.BatchSize;
                    if (partial.Window == curveEvery)
                    {
                        Curve.Add(partial.TakeWindow(trainer.CriticStepsTaken, recipe.Kind == GanKind.WganGp));
                    }
                    batchEnd?.Invoke(epoch, partial.DiscriminatorSum / partial.Steps, partial.GeneratorSteps > 0 ? partial.GeneratorSum / partial.GeneratorSteps : double.NaN,
                        recipe.Kind == GanKind.WganGp ? partial.WassersteinSum / partial.Steps : null);
                    if (stop.Requested || settings.StopAfterBatches > 0 && steps >= settings.StopAfterBatches)
                    {
                        partial.Seconds += epochWatch.Elapsed.TotalSeconds;
                        stopped = true;
                        stop.Request();
                        return;
                    }
                }
                partial.Seconds += epochWatch.Elapsed.TotalSeconds;
                History.Add(new GanEpoch(epoch, partial.DiscriminatorSum / Math.Max(partial.Steps, 1),
                    partial.GeneratorSteps > 0 ? partial.GeneratorSum / partial.GeneratorSteps : double.NaN,
                    recipe.Kind == GanKind.WganGp ? partial.WassersteinSum / Math.Max(partial.Steps, 1) : null, partial.Seconds, partial.Steps * settings.BatchSize));
                partial.StartEpoch();
                epochShuffleState = shuffle.GetState();
                SaveSamples(trainer, recipe, fixedNoise, fixedLabels, samplesPath, Path.Combine(runDirectory, FormattableString.Invariant($"samples-epoch{epoch:D3}.png")));
                TryPlot(recipe, plotPath);
                WriteLine(EpochLine(History[^1], epochs, recipe));
                if (settings.Checkpoint is not null)
                {
                    Save(runDirectory, trainer, recipe, partial);
                }
            }
        }
        int perEpoch = Math.Max(1, count / settings.BatchSize);
        int done = 0;
        progress.Run(Math.Max(1, (epochs - History.Count) * perEpoch), 0, $"epoch {History.Count + 1}/{epochs}", report => TrainAll(report is null ? null : (epoch, d, g, w) =>
        {
            string wasserstein = w is { } value ? FormattableString.Invariant($"  W {value:F3}") : "";
            report(++done, FormattableString.Invariant($"epoch {epoch}/{epochs}  D {d:F3}  G {g:F3}{wasserstein}  {imagesSeen / watch.Elapsed.TotalSeconds:N0} img/s"));
        }));
        double seconds = watch.Elapsed.TotalSeconds;
        if (History.Count > 0)
        {
            log.WriteLine($"Samples: {samplesPath}");
            if (File.Exists(plotPath)) log.WriteLine($"Loss curves: {plotPath}");
        }
        if (settings.Checkpoint is not null || stopped)
        {
            string path = Save(runDirectory, trainer, recipe, partial);
            log.WriteLine($"Checkpoint: {path}");
            log.WriteLine($"Sample with: ./nabla sample gan --checkpoint {runDirectory} --count 64 --grid samples.png; measure with: ./nabla eval gan --checkpoint {runDirectory}");
        }
        if (stopped)
        {
            log.WriteLine($"Stopped after epoch {History.Count} of {epochs}. Resume with: ./nabla train gan --kind {GanKinds.Name(recipe.Kind)} --epochs {epochs} --checkpoint {runDirectory} --resume");
            return TrainRun.InterruptedExitCode;
        }
        if (settings.Json)
        {
            GanEpoch? last = History.Count > 0 ? History[^1] : null;
            var result = new Dictionary<string, object?>
            {
                ["model"] = GanCheckpoint.ModelName,
                ["kind"] = GanKinds.Name(recipe.Kind),
                ["epochs"] = History.Count,
                ["d_loss"] = last is null ? null : Math.Round(last.DiscriminatorLoss, 4),
                ["g_loss"] = last is null || double.IsNaN(last.GeneratorLoss) ? null : Math.Round(last.GeneratorLoss, 4),
                ["wasserstein"] = last?.Wasserstein is { } w ? Math.Round(w, 4) : null,
                ["images_per_s"] = seconds > 0 ? Math.Round(imagesSeen / seconds, 1) : 0,
                ["seconds"] = Math.Round(seconds, 2),
                ["samples"] = History.Count > 0 ? Path.GetFullPath(samplesPath) : null,
                ["plot"] = File.Exists(plotPath) ? Path.GetFullPath(plotPath) : null,
            };
            stdout.WriteLine(JsonSerializer.Serialize(result));
            stdout.Flush();
        }
        return 0;
    }

    /// <summary>The first line: what is trained on what, with every hyper-parameter.</summary>
    private string Recipe(GanRecipe recipe, MnistData train, int epochs)
    {
        string extra = recipe.Kind switch
        {
            GanKind.WganGp => FormattableString.Invariant($", critic without batch norm, {recipe.CriticSteps} critic steps per generator step, penalty λ {recipe.GradientPenaltyWeight}"),
            GanKind.Cgan => FormattableString.Invariant($", conditioned on {recipe.NumClasses} classes (one-hot on the noise and as image planes)"),
            _ => "",
        };
        return FormattableString.Invariant(
            $"Training gan ({GanKinds.Name(recipe.Kind)}) on Fashion-MNIST ({train.Count:N0} images, 28×28 padded to 32×32, in [-1, 1]; {train.Source}): ") +
            FormattableString.Invariant($"{epochs} epoch{(epochs == 1 ? "" : "s")}, batch {settings.BatchSize}, Adam lr {recipe.LearningRate} betas ({recipe.Beta1}, {recipe.Beta2}), ") +
            FormattableString.Invariant($"latent {recipe.LatentDim}, features {recipe.Features}{extra}, seed {settings.Seed}");
    }

    private static string EpochLine(GanEpoch epoch, int epochs, GanRecipe recipe)
    {
        string wasserstein = epoch.Wasserstein is { } w ? FormattableString.Invariant($"  Wasserstein {w,7:F4}") : "";
        string number = epoch.Epoch.ToString(CultureInfo.InvariantCulture).PadLeft(epochs.ToString(CultureInfo.InvariantCulture).Length);
        return FormattableString.Invariant(
            $"epoch {number}/{epochs}  {(recipe.Kind == GanKind.WganGp ? "critic" : "D")} loss {epoch.DiscriminatorLoss,8:F4}  G loss {epoch.GeneratorLoss,8:F4}{wasserstein}  {epoch.Seconds:F1} s  ({epoch.Images / epoch.Seconds:N0} images/s)");
    }

    // The shuffling generator as it was before the permutation of the epoch under way (or of the next one).
    private byte[] epochShuffleState = [];

    private string Save(string directory, GanTrainer trainer, GanRecipe recipe, GanPartial partial) =>
        GanCheckpoint.Save(directory, trainer, new GanCheckpoint.State(recipe, settings, History, Curve,
            trainer.CriticStepsTaken, trainer.Noise.GetState(), epochShuffleState, partial));

    private void SaveSamples(GanTrainer trainer, GanRecipe recipe, Tensor noise, Tensor? labels, string latest, string perEpoch)
    {
        Tensor images = Generate(trainer.Generator, recipe, noise, labels);
        try
        {
            SaveGrid(images, recipe, latest);
            File.Copy(latest, perEpoch, overwrite: true);
        }
        catch (Exception exception) when (exception is DllNotFoundException or TypeInitializationException or IOException or UnauthorizedAccessException)
        {
            WriteLine($"No sample grid: {exception.GetBaseException().Message}");
        }
    }

    /// <summary>The generator's images of <paramref name="noise"/> in evaluation mode, without gradients.</summary>
    public static Tensor Generate(NN.Module<Tensor, Tensor> generator, GanRecipe recipe, Tensor noise, Tensor? labels)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(recipe);
        bool training = generator.Training;
        generator.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            return generator.Call(recipe.IsConditional ? Dcgan.Condition(noise, labels!, recipe.NumClasses) : noise);
        }
        finally
        {
            generator.Train(training);
        }
    }

    /// <summary>Writes GAN images as a grid: 8 per row, a conditional GAN's rows named by class.</summary>
    public static void SaveGrid(Tensor images, GanRecipe recipe, string path, IReadOnlyList<string>? rowLabels = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        rowLabels ??= recipe.IsConditional ? FashionMnist.ClassNames : null;
        SampleGridPng.Save(GanImages.ToUnit(images), recipe.IsConditional ? GridColumnsPerClass : 8, path, rowLabels);
    }

    private void TryPlot(GanRecipe recipe, string path)
    {
        if (Curve.Count < 2) return;
        var x = Curve.Select(p => p[0]).ToArray();
        var curves = new List<(string, double[], double[])>
        {
            (recipe.Kind == GanKind.WganGp ? "critic loss" : "D loss", x, Curve.Select(p => p[1]).ToArray()),
            // Windows without a generator step (WGAN-GP's critic steps) have no G loss: left out rather than drawn as gaps.
            ("G loss", Curve.Where(p => !double.IsNaN(p[2])).Select(p => p[0]).ToArray(), Curve.Where(p => !double.IsNaN(p[2])).Select(p => p[2]).ToArray()),
        };
        if (recipe.Kind == GanKind.WganGp) curves.Add(("Wasserstein estimate", x, Curve.Select(p => p[3]).ToArray()));
        try
        {
            CurvePlot.SaveLines(curves, path, $"gan ({GanKinds.Name(recipe.Kind)}) on Fashion-MNIST", recipe.Kind == GanKind.WganGp ? "critic step" : "step");
        }
        catch (Exception exception) when (exception is DllNotFoundException or TypeInitializationException or IOException or UnauthorizedAccessException)
        {
            WriteLine($"No plot: {exception.GetBaseException().Message}");
        }
    }

    // Lines go above the live progress bar, or straight to the log when there is none.
    private void WriteLine(string line) => progress.WriteLine(line);
}
