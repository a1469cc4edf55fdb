namespace Nabla.Tests.Distributed;

/// <summary>
/// Real two-process jobs under mpiexec (tests/Nabla.DistributedWorker): collectives and
/// DistributedDataParallel against single-process references, and the failure paths.
/// </summary>
[Collection(MpiJob.Collection)]
public sealed class MultiProcessTests
{
    const string Worker = "Nabla.DistributedWorker.dll";
    static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    static MpiJob.Result RunWorker(string scenario, int processes = 2)
    {
        var result = MpiJob.Run(processes, Worker, [scenario], Limit);
        Assert.False(result.TimedOut, result.Output);
        return result;
    }

    [Fact]
    public void Collectives_on_two_ranks_match_the_single_process_reference()
    {
        var result = RunWorker("collectives");
        Assert.True(result.ExitCode == 0, result.Output);
        for (int rank = 0; rank < 2; rank++)
        {
            Assert.Contains($"rank {rank}: collectives ok", result.Stdout);
            Assert.Contains($"rank {rank}: null reference caught", result.Stdout);
            Assert.Contains($"rank {rank}: mismatch: Distributed.AllReduce: the ranks disagree on the tensor or the call (rank 0: [2, 3] torch.float32, Sum; rank 1: [3] torch.float32, Sum)", result.Stdout);
        }
        Assert.Contains("rank 1: recv mismatch: Distributed.Recv: rank 0 sent a tensor of shape [2, 3] torch.float32, but rank 1 receives into [4] torch.float32", result.Stdout);
    }

    [Fact]
    public void Collectives_on_one_rank_are_identities()
    {
        var result = RunWorker("collectives", processes: 1);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("rank 0: collectives ok", result.Stdout);
    }

    [Theory]
    [InlineData("ddp", "AllReduce")]
    [InlineData("ps", "ParameterServer")]
    public void DistributedDataParallel_on_two_ranks_equals_one_process_with_the_doubled_batch(string scenario, string sync)
    {
        var result = RunWorker(scenario);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains($"rank 0: {sync} max difference", result.Stdout);
        Assert.Contains($"rank 0: {sync} ok", result.Stdout);
        Assert.Contains($"rank 1: {sync} ok", result.Stdout);
        // 1 KB buckets over 4·9 + 4 + 144·4 + 4 floats: several buckets.
        Assert.Contains("rank 0: buckets 3, gradient bytes 2480", result.Stdout);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Asynchronous_parameter_server_on_three_ranks_converges_within_its_staleness_bound(int staleness)
    {
        var result = MpiJob.Run(3, Worker, ["async", $"{staleness}"], Limit);
        Assert.False(result.TimedOut, result.Output);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains($"rank 0: async K={staleness} updates 96,", result.Stdout); // 3 ranks × 8 epochs × 4 steps, each applied once
        for (int rank = 0; rank < 3; rank++) Assert.Contains($"rank {rank}: async ok after 32 steps", result.Stdout);
    }

    [Fact]
    public void Without_a_tight_bound_the_fast_ranks_run_ahead_of_the_slow_one()
    {
        // The bound is what holds the fast ranks back: with K = 1000 they lead the slow rank by more than 2 steps.
        var result = MpiJob.Run(3, Worker, ["async", "1000"], Limit);
        Assert.True(result.ExitCode == 0, result.Output);
        var match = System.Text.RegularExpressions.Regex.Match(result.Stdout, "max lead (\\d+)");
        Assert.True(match.Success, result.Output);
        Assert.True(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 2, result.Stdout);
    }

    [Fact]
    public void Unequal_batch_shares_with_weighted_gradients_equal_one_process_with_the_global_batch()
    {
        var result = RunWorker("shares");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("rank 0: shares [2, 6] max difference", result.Stdout);
        Assert.Contains("rank 1: shares ok", result.Stdout);
    }

    [Fact]
    public void DistributedDataParallel_broadcasts_rank_0_buffers_before_a_training_forward()
    {
        var result = RunWorker("buffers");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("rank 0: running means differ after own data: True", result.Stdout);
        Assert.Contains("rank 0: buffers ok", result.Stdout);
        Assert.Contains("rank 1: buffers ok", result.Stdout);
    }

    [Fact]
    public void A_rank_that_never_joins_makes_the_collective_fail_after_the_timeout()
    {
        var result = RunWorker("timeout");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("rank 0 failed: Distributed.AllReduce: rank 0 of 2 got no answer from the other ranks within 00:00:02", result.Stderr);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(30), result.Output);
    }

    [Fact]
    public void A_rank_that_dies_ends_the_job_instead_of_hanging()
    {
        var result = RunWorker("dies");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("rank 1 fails on purpose", result.Stderr);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(30), result.Output);
    }
}
