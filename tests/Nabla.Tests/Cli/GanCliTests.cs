using System.Text.Json;
using Nabla.Cli;
using Nabla.Serialization;
using Nabla.Tests.TestSupport;

namespace Nabla.Tests.Cli;

// nabla train gan / sample gan / eval gan: tiny networks (features 2) on the first images of the embedded sample.
[Collection(DefaultGeneratorCollection.Name)]
public sealed class GanCliTests() : CliTestBase("nabla-gan")
{
    private static string[] Tiny(string kind, int epochs) =>
        ["train", "gan", "--kind", kind, "--data", "sample", "--limit", "64", "--batch-size", "16", "--features", "2", "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    [Fact]
    public void Train_gan_json_reports_losses_and_writes_samples_plot_and_checkpoint()
    {
        var (exitCode, stdout, stderr) = Run([.. Tiny("wgan-gp", 3), "--checkpoint", directory, "--json"]);

        Assert.True(exitCode == 0, stderr);
        var root = JsonDocument.Parse(Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal("wgan-gp", root.GetProperty("kind").GetString());
        Assert.Equal(3, root.GetProperty("epochs").GetInt32());
        Assert.True(double.IsFinite(root.GetProperty("wasserstein").GetDouble()));
        Assert.True(File.Exists(root.GetProperty("samples").GetString()));
        Assert.True(File.Exists(root.GetProperty("plot").GetString()), "12 critic steps give a curve");
        Assert.True(File.Exists(Path.Combine(directory, "samples-epoch003.png")));
        Assert.StartsWith("Training gan (wgan-gp) on Fashion-MNIST (64 images", stderr);
        Assert.Contains("5 critic steps per generator step, penalty λ 10", stderr);
        Assert.Contains("Wasserstein", stderr);
        CheckpointData saved = Checkpoint.Load(CheckpointStore.PathIn(directory));
        Assert.Equal("wgan-gp", saved.Metadata["kind"]);
        Assert.Equal("12", saved.Metadata["critic_steps_taken"]);
    }

    [Fact]
    public void Resumed_gan_run_ends_with_the_weights_of_the_uninterrupted_one()
    {
        string whole = Path.Combine(directory, "whole"), split = Path.Combine(directory, "split");
        Assert.Equal(0, Run([.. Tiny("dcgan", 2), "--checkpoint", whole]).ExitCode);
        var stopped = Run([.. Tiny("dcgan", 2), "--checkpoint", split, "--stop-after-batches", "5"]);
        Assert.Equal(TrainRun.InterruptedExitCode, stopped.ExitCode);
        Assert.Contains("Stopped after epoch 1 of 2", stopped.Stdout);
        var resumed = Run([.. Tiny("dcgan", 2), "--checkpoint", split, "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("Resuming", resumed.Stdout);

        var a = Checkpoint.Load(CheckpointStore.PathIn(whole)).Model;
        var b = Checkpoint.Load(CheckpointStore.PathIn(split)).Model;
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
        {
            Assert.Equal(a[key].ToArray<float>(), b[key].ToArray<float>());
        }
    }

    [Fact]
    public void Resume_without_epochs_runs_to_the_checkpoints_total_not_the_kinds_default()
    {
        // A 2-epoch WGAN-GP run stopped inside its second epoch; --kind defaults to dcgan (8 epochs), wgan-gp's default is 18.
        var stopped = Run([.. Tiny("wgan-gp", 2), "--checkpoint", directory, "--stop-after-batches", "5"]);
        Assert.Equal(TrainRun.InterruptedExitCode, stopped.ExitCode);

        var resumed = Run("train", "gan", "--checkpoint", directory, "--resume");

        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("epoch 2/2", resumed.Stdout);
        Assert.DoesNotContain("epoch 3/", resumed.Stdout);
        var metadata = Checkpoint.Load(CheckpointStore.PathIn(directory)).Metadata;
        Assert.Equal("wgan-gp", metadata["kind"]);
        Assert.Equal("2", metadata["epoch"]);
        Assert.Equal("2", metadata["epochs"]);
    }

    [Fact]
    public void Sample_and_eval_gan_read_a_cgan_checkpoint()
    {
        Assert.Equal(0, Run([.. Tiny("cgan", 1), "--checkpoint", directory]).ExitCode);
        string grid = Path.Combine(directory, "sevens.png");

        var sample = Run("sample", "gan", "--checkpoint", directory, "--count", "16", "--class", "7", "--grid", grid);
        var badClass = Run("sample", "gan", "--checkpoint", directory, "--class", "10", "--grid", grid);
        var eval = Run("eval", "gan", "--checkpoint", directory, "--count", "200", "--json");

        Assert.True(sample.ExitCode == 0, sample.Stderr);
        Assert.True(new FileInfo(grid).Length > 100);
        Assert.Equal(1, badClass.ExitCode);
        Assert.Contains("classes 0 to 9", badClass.Stderr);
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        var root = JsonDocument.Parse(eval.Stdout).RootElement;
        Assert.Equal(200, root.GetProperty("class_histogram").EnumerateArray().Sum(c => c.GetInt32()));
        Assert.Equal(10, root.GetProperty("class_accuracy").GetArrayLength());
        Assert.True(root.GetProperty("real_frechet_distance").GetDouble() < root.GetProperty("untrained_frechet_distance").GetDouble());
    }

    [Fact]
    public void Sample_gan_refuses_a_class_for_an_unconditional_gan()
    {
        Assert.Equal(0, Run([.. Tiny("dcgan", 1), "--checkpoint", directory]).ExitCode);
        var result = Run("sample", "gan", "--checkpoint", directory, "--class", "3", "--grid", Path.Combine(directory, "x.png"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("only a cgan takes a class", result.Stderr);
    }
}
