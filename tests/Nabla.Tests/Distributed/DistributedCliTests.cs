using System.Text.Json;

namespace Nabla.Tests.Distributed;

/// <summary><c>mpiexec -n N nabla train … --distributed</c>: one report, the same training for any N, resumable with another N.</summary>
[Collection(MpiJob.Collection)]
public sealed class DistributedCliTests : IDisposable
{
    const string Cli = "Nabla.Cli.dll";
    static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);
    readonly string directory = Path.Combine(Path.GetTempPath(), $"nabla-ddp-cli-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    // Runs in this test's directory, where runs without --checkpoint put their plot (runs/mlp).
    MpiJob.Result Train(int processes, params string[] options)
    {
        Directory.CreateDirectory(directory);
        string[] batch = options.Contains("--batch-size") ? [] : ["--batch-size", "128"];
        var result = MpiJob.Run(processes, Cli, ["train", "mlp", "--distributed", "--data", "sample", "--limit", "1024", "--json", .. batch, .. options], Limit, directory);
        Assert.False(result.TimedOut, result.Output);
        return result;
    }

    static JsonElement OnlyJsonLine(MpiJob.Result result)
    {
        Assert.True(result.ExitCode == 0, result.Output);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"one JSON line (rank 0's) expected:\n{result.Output}");
        return JsonDocument.Parse(lines[0]).RootElement;
    }

    [Fact]
    public void Two_processes_train_like_one_by_allreduce_parameter_server_or_speed_shares_and_the_checkpoint_resumes_on_one()
    {
        var onTwo = Train(2, "--epochs", "1");
        var first = OnlyJsonLine(onTwo);
        Assert.Contains("Distributed: 2 processes × batch 64 = 128", onTwo.Stderr);
        var onOne = OnlyJsonLine(Train(1, "--epochs", "1"));
        // Same global batches in the same order: the same loss, up to the order of float sums.
        Assert.Equal(onOne.GetProperty("train_loss").GetDouble(), first.GetProperty("train_loss").GetDouble(), 5);
        Assert.Equal(onOne.GetProperty("train_acc").GetDouble(), first.GetProperty("train_acc").GetDouble(), 6);
        Assert.Equal(onOne.GetProperty("test_acc").GetDouble(), first.GetProperty("test_acc").GetDouble(), 6);

        // A parameter server on rank 0 makes the same updates.
        var server = Train(2, "--epochs", "1", "--sync", "ps");
        Assert.Contains("synchronous parameter server on rank 0", server.Stderr);
        Assert.Equal(onOne.GetProperty("train_loss").GetDouble(), OnlyJsonLine(server).GetProperty("train_loss").GetDouble(), 5);

        // Shares of each batch by measured speed, gradients weighted by share: the same updates again.
        var split = Train(2, "--epochs", "1", "--split-by-speed");
        Assert.Matches(@"Split by speed: shares \d+ \+ \d+ = 128", split.Stderr);
        Assert.Equal(onOne.GetProperty("train_loss").GetDouble(), OnlyJsonLine(split).GetProperty("train_loss").GetDouble(), 5);

        // Stopped in the middle of the epoch on two processes, finished on one: the epoch's figures are the whole epoch's.
        string stopped = Path.Combine(directory, "stopped");
        var interrupted = Train(2, "--epochs", "1", "--checkpoint", stopped, "--stop-after-batches", "3");
        Assert.True(interrupted.ExitCode == 130, interrupted.Output);
        var resumed = Train(1, "--epochs", "1", "--checkpoint", stopped, "--resume");
        Assert.Contains("Resuming mlp", resumed.Stderr);
        var finished = OnlyJsonLine(resumed);
        Assert.Equal(onOne.GetProperty("train_loss").GetDouble(), finished.GetProperty("train_loss").GetDouble(), 5);
        Assert.Equal(onOne.GetProperty("train_acc").GetDouble(), finished.GetProperty("train_acc").GetDouble(), 6);
        Assert.True(File.Exists(Path.Combine(stopped, "checkpoint.safetensors")));
    }

    [Fact]
    public void Asynchronous_parameter_server_trains_on_two_processes_and_checkpoints_the_servers_weights()
    {
        var onOne = OnlyJsonLine(Train(1, "--epochs", "2"));
        string run = Path.Combine(directory, "async");
        var result = Train(2, "--epochs", "2", "--sync", "async", "--staleness", "1", "--checkpoint", run);
        Assert.Contains("asynchronous parameter server on rank 0, staleness 1", result.Stderr);
        var json = OnlyJsonLine(result);
        // Two processes make two updates per global batch, each from half of it: it trains (chance is a loss of
        // ln 10 = 2.30 and 10 % accuracy), if not exactly like one process.
        Assert.True(json.GetProperty("train_loss").GetDouble() < 0.75 * Math.Log(10), result.Output);
        Assert.True(json.GetProperty("test_acc").GetDouble() > 0.5 * onOne.GetProperty("test_acc").GetDouble(), result.Output);
        Assert.True(File.Exists(Path.Combine(run, "checkpoint.safetensors")));

        var misplaced = Train(2, "--epochs", "1", "--staleness", "1");
        Assert.NotEqual(0, misplaced.ExitCode);
        Assert.Contains("nabla: --staleness applies to --sync async.", misplaced.Stderr);
    }

    [Fact]
    public void Shares_follow_the_speeds_add_up_to_the_batch_and_give_everyone_a_sample()
    {
        Assert.Equal([192, 64], Nabla.Cli.DistributedTraining.Shares([3000.0, 1000.0], 256));
        Assert.Equal([86, 85, 85], Nabla.Cli.DistributedTraining.Shares([1.0, 1.0, 1.0], 256));
        Assert.Equal([3, 1], Nabla.Cli.DistributedTraining.Shares([1e6, 1.0], 4));
    }

    [Fact]
    public void A_batch_that_does_not_divide_among_the_processes_is_one_clear_error()
    {
        var result = Train(2, "--epochs", "1", "--batch-size", "127");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("nabla: --distributed: the batch of 127 does not divide among 2 processes", result.Stderr);
        Assert.Single(result.Stderr.Split('\n'), line => line.Contains("does not divide"));
    }
}
