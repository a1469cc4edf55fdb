using System.Globalization;
using System.Text.Json;
using Nabla.Cli;
using Nabla.Serialization;
using Nabla.Tests.TestSupport;

namespace Nabla.Tests.Cli;

[Collection(DefaultGeneratorCollection.Name)]
public sealed class CliTests() : CliTestBase("nabla-cli")
{
    [Fact]
    public void Train_with_an_unknown_model_fails_with_a_message_listing_the_models()
    {
        var (exitCode, _, stderr) = Run("train", "resnet152");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Unknown model 'resnet152'", stderr);
        Assert.Contains("softmax, mlp, mlp-dropout, lenet, lenet-bn", stderr);
    }

    [Fact]
    public void Train_parses_every_option()
    {
        var command = CliApp.BuildCommand(TextWriter.Null, TextWriter.Null, new StopSignal());
        var parse = command.Parse(["train", "lenet", "--epochs", "3", "--batch-size", "128", "--lr", "0.05", "--optimizer", "adam",
            "--data", "sample", "--seed", "7", "--checkpoint", "out", "--resume", "--json"]);

        Assert.Empty(parse.Errors);
        var train = parse.CommandResult.Command;
        Assert.Equal("train", train.Name);
        Assert.Equal("lenet", parse.GetValue<string>("model"));
        Assert.Equal(3, parse.GetValue<int?>("--epochs"));
        Assert.Equal(128, parse.GetValue<int?>("--batch-size"));
        Assert.Equal(0.05, parse.GetValue<double?>("--lr"));
        Assert.Equal("adam", parse.GetValue<string?>("--optimizer"));
        Assert.Equal("sample", parse.GetValue<string?>("--data"));
        Assert.Equal(7L, parse.GetValue<long?>("--seed"));
        Assert.Equal("out", parse.GetValue<string?>("--checkpoint"));
        Assert.True(parse.GetValue<bool>("--resume"));
        Assert.True(parse.GetValue<bool>("--json"));
    }

    [Theory]
    [InlineData("--epochs", "-1", "--epochs must be 0 or more")]
    [InlineData("--batch-size", "0", "--batch-size must be at least 1")]
    [InlineData("--lr", "-0.1", "--lr must be positive")]
    [InlineData("--optimizer", "lbfgs", "lbfgs")]
    [InlineData("--epochs", "ten", "ten")]
    public void Train_rejects_bad_option_values(string option, string value, string message)
    {
        var (exitCode, _, stderr) = Run("train", "mlp", option, value);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void Train_json_prints_one_line_with_every_key()
    {
        var (exitCode, stdout, stderr) = Run("train", "softmax", "--data", "sample", "--limit", "600", "--epochs", "2", "--json",
            "--checkpoint", directory);

        Assert.True(exitCode == 0, stderr);
        string line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        foreach (string key in new[] { "model", "epochs", "train_loss", "train_acc", "test_acc", "median_epoch_s", "samples_per_s", "plot" })
        {
            Assert.True(root.TryGetProperty(key, out _), $"missing key {key} in {line}");
        }
        Assert.Equal("softmax", root.GetProperty("model").GetString());
        Assert.Equal(2, root.GetProperty("epochs").GetInt32());
        Assert.InRange(root.GetProperty("test_acc").GetDouble(), 0.3, 1.0);
        Assert.True(root.GetProperty("median_epoch_s").GetDouble() > 0);
        Assert.True(File.Exists(root.GetProperty("plot").GetString()), "the plot exists");
        Assert.Contains("epoch 2/2", stderr);
    }

    [Fact]
    public void Resuming_after_one_epoch_equals_training_two_epochs()
    {
        // mlp-dropout draws dropout masks from the default generator: the checkpoint must carry it.
        string[] common = ["train", "mlp-dropout", "--data", "sample", "--limit", "512", "--batch-size", "64", "--seed", "3"];
        string continuous = Path.Combine(directory, "continuous");
        string resumed = Path.Combine(directory, "resumed");

        Assert.Equal(0, Run([.. common, "--epochs", "2", "--checkpoint", continuous]).ExitCode);
        Assert.Equal(0, Run([.. common, "--epochs", "1", "--checkpoint", resumed]).ExitCode);
        Assert.Equal(0, Run(["train", "mlp-dropout", "--data", "sample", "--limit", "512", "--epochs", "2", "--checkpoint", resumed, "--resume"]).ExitCode);

        AssertSameRun(continuous, resumed);
    }

    [Fact]
    public void Resuming_after_a_stop_in_mid_epoch_equals_training_without_stopping()
    {
        // --stop-after-batches does what Ctrl-C does: checkpoint at the end of the batch, exit 130.
        string[] common = ["train", "mlp-dropout", "--data", "sample", "--limit", "512", "--batch-size", "64", "--seed", "5", "--epochs", "2"];
        string continuous = Path.Combine(directory, "continuous");
        string resumed = Path.Combine(directory, "resumed");

        Assert.Equal(0, Run([.. common, "--checkpoint", continuous]).ExitCode);
        var stopped = Run([.. common, "--checkpoint", resumed, "--stop-after-batches", "11"]);
        Assert.Equal(TrainRun.InterruptedExitCode, stopped.ExitCode);
        Assert.Contains("Stopped in epoch 2 after batch 3 of 8", stopped.Stdout);
        Assert.Equal(0, Run([.. common, "--checkpoint", resumed, "--resume"]).ExitCode);

        AssertSameRun(continuous, resumed);
    }

    [Fact]
    public void Cosine_schedule_anneals_per_epoch_and_resumes_mid_epoch_bit_for_bit()
    {
        string[] common = ["train", "mlp", "--data", "sample", "--limit", "512", "--batch-size", "64", "--seed", "2", "--epochs", "3",
            "--lr", "0.2", "--lr-schedule", "cosine"];
        string continuous = Path.Combine(directory, "continuous");
        string resumed = Path.Combine(directory, "resumed");
        string afterOne = Path.Combine(directory, "after-one");

        Assert.Equal(0, Run([.. common, "--checkpoint", continuous]).ExitCode);
        Assert.Equal(TrainRun.InterruptedExitCode, Run([.. common, "--checkpoint", resumed, "--stop-after-batches", "11"]).ExitCode);
        Assert.Equal(0, Run(["train", "mlp", "--data", "sample", "--limit", "512", "--epochs", "3", "--checkpoint", resumed, "--resume"]).ExitCode);
        Assert.Equal(TrainRun.InterruptedExitCode, Run([.. common, "--checkpoint", afterOne, "--stop-after-batches", "8"]).ExitCode);

        AssertSameRun(continuous, resumed);
        // lr after epoch e of 3: 0.2 · (1 + cos(π e / 3)) / 2, i.e. 0.15 after the first, 0 after the last.
        double Lr(string run) => double.Parse(Checkpoint.Load(CheckpointStore.PathIn(run)).Metadata["optimizer.param_groups.0.lr"], CultureInfo.InvariantCulture);
        Assert.Equal(0.15, Lr(afterOne), 12);
        Assert.Equal(0.0, Lr(continuous), 12);
        // A run started with a constant rate cannot be resumed with a schedule (nor the other way round).
        string constant = Path.Combine(directory, "constant");
        Assert.Equal(0, Run(["train", "mlp", "--data", "sample", "--limit", "512", "--epochs", "1", "--checkpoint", constant]).ExitCode);
        var mismatch = Run(["train", "mlp", "--data", "sample", "--limit", "512", "--epochs", "2", "--checkpoint", constant, "--resume", "--lr-schedule", "cosine"]);
        Assert.NotEqual(0, mismatch.ExitCode);
        Assert.Contains("a constant learning rate", mismatch.Stderr);
    }

    [Fact]
    public void Eval_reports_the_test_accuracy_of_a_checkpoint()
    {
        var trained = Run("train", "softmax", "--data", "sample", "--limit", "600", "--epochs", "1", "--checkpoint", directory, "--json");
        Assert.Equal(0, trained.ExitCode);
        double trainedAccuracy = JsonDocument.Parse(trained.Stdout).RootElement.GetProperty("test_acc").GetDouble();

        var (exitCode, stdout, stderr) = Run("eval", "softmax", "--checkpoint", directory, "--data", "sample", "--limit", "600", "--json");

        Assert.True(exitCode == 0, stderr);
        Assert.Equal(trainedAccuracy, JsonDocument.Parse(stdout).RootElement.GetProperty("test_acc").GetDouble());
    }

    [Fact]
    public void Eval_with_compile_runs_the_static_graph_and_gives_the_same_accuracy()
    {
        Assert.Equal(0, Run("train", "lenet", "--data", "sample", "--limit", "300", "--epochs", "1", "--checkpoint", directory).ExitCode);
        var eager = Run("eval", "lenet", "--checkpoint", directory, "--data", "sample", "--limit", "300", "--json");
        var compiled = Run("eval", "lenet", "--checkpoint", directory, "--data", "sample", "--limit", "300", "--json", "--compile");

        Assert.True(compiled.ExitCode == 0, compiled.Stderr);
        var result = JsonDocument.Parse(compiled.Stdout).RootElement;
        Assert.True(result.GetProperty("compiled").GetBoolean());
        Assert.Equal(JsonDocument.Parse(eager.Stdout).RootElement.GetProperty("test_acc").GetDouble(), result.GetProperty("test_acc").GetDouble());
    }

    [Fact]
    public void Train_with_compile_trains_through_the_compiled_graph_like_eager()
    {
        // Same seed, same data: the compiled graph's loss and gradients are eager's (up to float rounding), so the run ends close to the eager one.
        var eager = Run("train", "lenet", "--data", "sample", "--limit", "300", "--epochs", "1", "--checkpoint", Path.Combine(directory, "eager"), "--json");
        var compiled = Run("train", "lenet", "--data", "sample", "--limit", "300", "--epochs", "1", "--checkpoint", Path.Combine(directory, "compiled"), "--json", "--compile");

        Assert.True(compiled.ExitCode == 0, compiled.Stderr);
        Assert.Contains("compiled graph", compiled.Stderr + compiled.Stdout);
        double Accuracy((int ExitCode, string Stdout, string Stderr) run) => JsonDocument.Parse(run.Stdout).RootElement.GetProperty("test_acc").GetDouble();
        Assert.InRange(Accuracy(compiled), Accuracy(eager) - 0.02, Accuracy(eager) + 0.02);

        var batchNorm = Run("train", "lenet-bn", "--data", "sample", "--limit", "100", "--epochs", "1", "--checkpoint", Path.Combine(directory, "bn"), "--compile");
        Assert.NotEqual(0, batchNorm.ExitCode);
        Assert.Contains("cannot train through a compiled graph", batchNorm.Stderr);
        Assert.Contains("BatchNorm2d", batchNorm.Stderr);
    }

    [Fact]
    public void Predict_prints_the_model_prediction_for_a_png_with_class_names()
    {
        Assert.Equal(0, Run("train", "softmax", "--data", "sample", "--limit", "1000", "--epochs", "2", "--checkpoint", directory).ExitCode);
        var test = Nabla.Vision.FashionMnist.LoadSample(train: false);
        string png = Path.Combine(directory, "image.png");
        GrayPng.Write(png, test.Images.AsSpan(0, 28 * 28), 28, 28);
        var model = Inference.LoadModel("softmax", directory);
        var (image, _) = new Nabla.Vision.Datasets.FashionMnistDataset(test)[0];
        long expected;
        using (Autograd.NoGrad())
        {
            expected = (long)model.Call(image.Unsqueeze(0)).ArgMax(1).Item();
        }

        var (exitCode, stdout, stderr) = Run("predict", "softmax", "--checkpoint", directory, "--image", png, "--top", "3");

        Assert.True(exitCode == 0, stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith(Nabla.Vision.FashionMnist.ClassNames[(int)expected], lines[0]);
        Assert.EndsWith("%", lines[0].TrimEnd());
    }

    [Fact]
    public void Resume_without_a_checkpoint_is_a_one_line_error()
    {
        var (exitCode, _, stderr) = Run("train", "mlp", "--data", "sample", "--checkpoint", directory, "--resume");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("nabla: No checkpoint in", stderr);
    }

    internal static void AssertSameRun(string expectedDirectory, string actualDirectory)
    {
        CheckpointData expected = Checkpoint.Load(CheckpointStore.PathIn(expectedDirectory));
        CheckpointData actual = Checkpoint.Load(CheckpointStore.PathIn(actualDirectory));
        Assert.Equal(expected.Model.Keys, actual.Model.Keys);
        foreach (var (name, tensor) in expected.Model)
        {
            Assert.True(tensor.ToArray<float>().AsSpan().SequenceEqual(actual.Model[name].ToArray<float>()), $"{name} differs");
        }
        Assert.Equal(expected.Metadata["epoch"], actual.Metadata["epoch"]);
        Assert.Equal(expected.Metadata["rng.default"], actual.Metadata["rng.default"]);
        Assert.Equal(expected.Metadata["rng.loader"], actual.Metadata["rng.loader"]);
        // Same losses and accuracies per epoch (the seconds differ).
        var (_, expectedState) = CheckpointStore.Read(expectedDirectory);
        var (_, actualState) = CheckpointStore.Read(actualDirectory);
        Assert.Equal(expectedState.History.Select(m => (m.TrainLoss, m.TrainAccuracy, m.TestAccuracy)),
            actualState.History.Select(m => (m.TrainLoss, m.TrainAccuracy, m.TestAccuracy)));
    }
}
