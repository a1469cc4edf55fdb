using System.CommandLine;
using Nabla.Vision.Gan;

namespace Nabla.Cli;

/// <summary>
/// The GAN commands, hung under the command tree: <c>nabla train gan</c>, <c>nabla eval gan</c> (subcommands named <c>gan</c>,
/// which take precedence over the model argument of <c>train</c> and <c>eval</c>) and <c>nabla sample gan</c>.
/// </summary>
public static class GanCommands
{
    /// <summary>The name of the subcommands.</summary>
    public const string Name = "gan";

    /// <summary>Adds the GAN commands to <paramref name="root"/>, whose <c>train</c> and <c>eval</c> commands must exist.</summary>
    public static void AddTo(Command root, TextWriter stdout, TextWriter stderr, StopSignal stop)
    {
        ArgumentNullException.ThrowIfNull(root);
        Command Child(string name) => root.Subcommands.FirstOrDefault(c => c.Name == name)
            ?? throw new InvalidOperationException($"GanCommands: the command tree has no '{name}'.");
        Child("train").Add(TrainCommand(stdout, stderr, stop));
        Child("eval").Add(EvalCommand(stdout, stderr));
        var sample = new Command("sample", "Draw images from a trained generative model.") { SampleCommand(stdout, stderr) };
        root.Add(sample);
    }

    private static Option<string?> CheckpointOption(bool required) => new("--checkpoint")
    {
        Description = required ? "Directory of the checkpoint of `nabla train gan`." : "Directory for the checkpoint after every epoch, the samples and the plot (default: runs/gan-KIND, no checkpoint).",
        Required = required,
    };

    private static Command TrainCommand(TextWriter stdout, TextWriter stderr, StopSignal stop)
    {
        var kind = new Option<string>("--kind") { Description = $"Which GAN: {string.Join(", ", GanKinds.Names)}.", DefaultValueFactory = _ => "dcgan" };
        kind.AcceptOnlyFromAmong([.. GanKinds.Names]);
        var epochs = new Option<int?>("--epochs") { Description = $"Total epochs (default: dcgan and cgan {GanSettings.DefaultEpochs(GanKind.Dcgan)}, wgan-gp {GanSettings.DefaultEpochs(GanKind.WganGp)})." };
        var batchSize = new Option<int?>("--batch-size") { Description = $"Real images per step (default: dcgan and cgan {GanSettings.DefaultBatchSize(GanKind.Dcgan)}, wgan-gp {GanSettings.DefaultBatchSize(GanKind.WganGp)})." };
        var lr = new Option<double?>("--lr") { Description = "Adam's learning rate of both networks (default: dcgan and cgan 2e-4, wgan-gp 1e-4)." };
        var features = new Option<int?>("--features") { Description = $"Channel multiplier f of both networks (default {GanSettings.DefaultFeatures}; d2l's 64 is for 64×64 colour images and trains about 3× slower)." };
        var data = new Option<string?>("--data") { Description = "Fashion-MNIST directory, or 'sample' for the embedded sample (default: as `nabla train`)." };
        var limit = new Option<int>("--limit") { Description = "Use only the first N training images.", Hidden = true };
        var seed = new Option<long>("--seed") { Description = "Seed of the weights, the noise and the shuffling.", DefaultValueFactory = _ => 0 };
        var checkpoint = CheckpointOption(required: false);
        var resume = new Option<bool>("--resume") { Description = "Continue the run saved in --checkpoint with its recipe, up to --epochs (default: the saved run's total)." };
        var overwrite = CheckpointGuard.OverwriteOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON line with the results on stdout; progress goes to stderr." };
        var stopAfter = new Option<int>("--stop-after-batches") { Description = "Stop as if Ctrl-C were pressed after N steps (tests).", Hidden = true };
        var command = new Command(Name, "Train a GAN on Fashion-MNIST (32×32): DCGAN (d2l 17.2), WGAN-GP or a conditional GAN.")
        {
            kind, epochs, batchSize, lr, features, data, limit, seed, checkpoint, resume, overwrite, json, stopAfter,
        };
        command.SetAction(parse => Guarded(stderr, () =>
        {
            GanKind ganKind = GanKinds.Parse(parse.GetValue(kind)!);
            var settings = new GanSettings
            {
                Kind = ganKind,
                Epochs = parse.GetValue(epochs) is { } total ? Positive(total, "--epochs", allowZero: true) : null,
                BatchSize = Positive(parse.GetValue(batchSize) ?? GanSettings.DefaultBatchSize(ganKind), "--batch-size"),
                LearningRate = parse.GetValue(lr) is { } rate ? (rate > 0 ? rate : throw new ArgumentException("--lr must be positive.")) : null,
                Features = parse.GetValue(features) is { } f ? Positive(f, "--features") : null,
                Data = parse.GetValue(data),
                Limit = parse.GetValue(limit),
                Seed = parse.GetValue(seed),
                Checkpoint = parse.GetValue(checkpoint),
                Resume = parse.GetValue(resume),
                Overwrite = parse.GetValue(overwrite),
                Json = parse.GetValue(json),
                StopAfterBatches = parse.GetValue(stopAfter),
            };
            if (settings.Resume && settings.Checkpoint is null) throw new ArgumentException("--resume needs --checkpoint DIR.");
            TextWriter log = settings.Json ? stderr : stdout;
            return new GanRun(settings, CliApp.CreateConsole(log), log, stdout, stop).Run();
        }));
        return command;
    }

    private static Command EvalCommand(TextWriter stdout, TextWriter stderr)
    {
        var checkpoint = CheckpointOption(required: true);
        var count = new Option<int>("--count") { Description = "Images to generate.", DefaultValueFactory = _ => 10_000 };
        var data = new Option<string?>("--data") { Description = "Fashion-MNIST directory, or 'sample' (default: the training run's)." };
        var seed = new Option<long>("--seed") { Description = "Seed of the noise.", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON line with the figures." };
        var command = new Command(Name, "Measure a trained GAN: Fréchet distance of a Fashion-MNIST classifier's features against the test images, class histogram, cgan class accuracy.")
        {
            checkpoint, count, data, seed, json,
        };
        command.SetAction(parse => Guarded(stderr, () =>
            GanTools.Evaluate(parse.GetValue(checkpoint)!, parse.GetValue(count), parse.GetValue(data), parse.GetValue(seed), parse.GetValue(json), stdout)));
        return command;
    }

    private static Command SampleCommand(TextWriter stdout, TextWriter stderr)
    {
        var checkpoint = CheckpointOption(required: true);
        var count = new Option<int>("--count") { Description = "Images to generate.", DefaultValueFactory = _ => 64 };
        var classIndex = new Option<int?>("--class") { Description = "cgan: the class to draw (0-9); default: rows of every class." };
        var grid = new Option<string>("--grid") { Description = "The PNG to write.", Required = true };
        var seed = new Option<long>("--seed") { Description = "Seed of the noise.", DefaultValueFactory = _ => 0 };
        var command = new Command(Name, "Draw images from a GAN trained by `nabla train gan` and write them as a PNG grid.") { checkpoint, count, classIndex, grid, seed };
        command.SetAction(parse => Guarded(stderr, () =>
            GanTools.Sample(parse.GetValue(checkpoint)!, parse.GetValue(count), parse.GetValue(classIndex), parse.GetValue(grid)!, parse.GetValue(seed), stdout)));
        return command;
    }

    private static int Positive(int value, string option, bool allowZero = false) =>
        value > 0 || allowZero && value == 0 ? value : throw new ArgumentException($"{option} must be {(allowZero ? "0 or more" : "at least 1")}, got {value}.");

    // As CliApp's: expected failures end with one line, not a stack trace.
    private static int Guarded(TextWriter stderr, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception exception) when (exception is ArgumentException or IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"nabla: {exception.Message}");
            return 1;
        }
    }
}
