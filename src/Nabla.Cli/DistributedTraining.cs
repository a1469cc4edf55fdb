using System.Globalization;
using Nabla.Data;
using Nabla.Distributed;
using Nabla.NN;
using Nabla.Training;
using ProcessGroup = Nabla.Distributed.Distributed;

namespace Nabla.Cli;

/// <summary>
/// What <c>nabla train MODEL --distributed</c> changes in a run, started as
/// <c>mpirun -np N ./nabla train MODEL --distributed</c>: every process trains the same model on
/// its share of each batch (<see cref="DistributedDataParallel"/>, <see cref="DistributedSampler"/>).
/// <c>--batch-size</c> stays the global batch, so a run gives the same updates as one process with that
/// batch (up to float rounding) and its checkpoint resumes with any number of processes that divides
/// it. Rank 0 alone prints, evaluates, plots and writes the checkpoint; the epoch's loss and accuracy
/// are summed over all ranks.
/// </summary>
public sealed class DistributedTraining
{
    /// <summary>The values of <c>--sync</c>: all-reduce, or a synchronous parameter server on rank 0 (<see cref="GradientSync"/>).</summary>
    public static readonly string[] SyncModes = ["allreduce", "ps"];

    private DistributedSampler? sampler;

    private DistributedTraining(int rank, int worldSize, GradientSync sync)
    {
        Rank = rank;
        WorldSize = worldSize;
        Sync = sync;
    }

    /// <summary>How the gradients are combined.</summary>
    public GradientSync Sync { get; }

    /// <summary>This process's rank.</summary>
    public int Rank { get; }

    /// <summary>The number of processes.</summary>
    public int WorldSize { get; }

    /// <summary>Whether this process prints and writes files (rank 0).</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>
    /// Joins the job's process group and runs <paramref name="train"/>. A failure on any rank ends the
    /// whole job (the other ranks would wait for it in their next collective): expected errors (bad
    /// options, missing files) are printed once, by rank 0, other errors by the rank that met them.
    /// </summary>
    /// <param name="settings">The run's options; those that do not combine with --distributed are errors.</param>
    /// <param name="stderr">Where errors go.</param>
    /// <param name="train">The run, given this process's part.</param>
    /// <returns>The run's exit status.</returns>
    public static int Run(TrainSettings settings, TextWriter stderr, Func<DistributedTraining, int> train)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(train);
        if (settings.Sync is not null && !settings.Distributed)
        {
            stderr.WriteLine("nabla: --sync applies to --distributed training.");
            return 1;
        }
        if (settings.Aux)
        {
            stderr.WriteLine("nabla: --aux does not combine with --distributed (the auxiliary heads' loss needs the unwrapped model).");
            return 1;
        }
        try
        {
            ProcessGroup.Init();
        }
        catch (DistributedException exception)
        {
            stderr.WriteLine($"nabla: --distributed: {exception.Message}");
            return 1;
        }
        var session = new DistributedTraining(ProcessGroup.Rank, ProcessGroup.WorldSize, settings.Sync == "ps" ? GradientSync.ParameterServer : GradientSync.AllReduce);
        int status;
        try
        {
            status = train(session);
        }
        catch (Exception exception)
        {
            bool expected = exception is ArgumentException or IOException or InvalidDataException or FormatException or UnauthorizedAccessException;
            if (session.IsRoot || !expected)
            {
                stderr.WriteLine(session.IsRoot ? $"nabla: {exception.Message}" : $"nabla (rank {session.Rank} of {session.WorldSize}): {exception}");
                stderr.Flush();
            }
            else
            {
                // The same error on every rank: let rank 0 print it and end the job.
                Thread.Sleep(TimeSpan.FromSeconds(2));
            }
            ProcessGroup.Abort(1);
            return 1;
        }
        ProcessGroup.DestroyProcessGroup();
        return status;
    }

    /// <summary>Where this rank writes: <paramref name="writer"/> on rank 0, nowhere on the others.</summary>
    public TextWriter Output(TextWriter writer) => IsRoot ? writer : TextWriter.Null;

    /// <summary>The batch of each process: the global <paramref name="batchSize"/> divided by the number of processes.</summary>
    /// <exception cref="ArgumentException">The batch does not divide evenly.</exception>
    public int LocalBatchSize(int batchSize) => batchSize % WorldSize == 0 ? batchSize / WorldSize
        : throw new ArgumentException($"--distributed: the batch of {batchSize} does not divide among {WorldSize} processes; choose a --batch-size that is a multiple of {WorldSize}.");

    /// <summary>The loader of this rank's share of each epoch, shuffled from <paramref name="seed"/> (the same order for any number of processes).</summary>
    public DataLoader<T> TrainLoader<T>(Dataset<T> dataset, int batchSize, long seed)
    {
        sampler = new DistributedSampler(dataset.Count, WorldSize, Rank, shuffle: true, seed: seed);
        return new DataLoader<T>(dataset, LocalBatchSize(batchSize), sampler: sampler);
    }

    /// <summary>Chooses the order of <paramref name="epoch"/> (before it starts, on every rank).</summary>
    public void SetEpoch(int epoch) => sampler?.SetEpoch(epoch);

    /// <summary>The line that says how the run is split.</summary>
    public string Describe(int batchSize) => string.Create(CultureInfo.InvariantCulture,
        $"Distributed: {WorldSize} process{(WorldSize == 1 ? "" : "es")} × batch {LocalBatchSize(batchSize)} = {batchSize}, {(Sync == GradientSync.AllReduce ? "gradients averaged by all-reduce" : "synchronous parameter server on rank 0")} ({ProcessGroup.Backend}); rank 0 reports.");

    /// <summary>Wraps the model so that backward averages the gradients over the ranks (and rank 0's weights are everyone's).</summary>
    public Module<Tensor, Tensor> Wrap(Module<Tensor, Tensor> model) => new DistributedDataParallel(model, sync: Sync);

    /// <summary>Whether any rank asks to stop (Ctrl-C reaches the ranks at different batches, but they must stop at the same one).</summary>
    public bool AnyRank(bool stop)
    {
        var flag = Tensor.From(stop ? 1 : 0);
        ProcessGroup.AllReduce(flag, ReduceOp.Max);
        return flag.Item<int>() != 0;
    }

    /// <summary>Rank 0's <paramref name="value"/> on every rank (the test accuracy, which rank 0 alone measures).</summary>
    public double FromRoot(double value)
    {
        var shared = Tensor.From(value);
        ProcessGroup.Broadcast(shared, 0);
        return shared.Item<double>();
    }

    /// <summary>The epoch's sums over all ranks (loss, samples, correct), and the slowest rank's time.</summary>
    public void CombineTotals(EpochTotals totals)
    {
        ArgumentNullException.ThrowIfNull(totals);
        var sums = Tensor.From(new[] { totals.LossSum, totals.Samples, totals.Correct });
        ProcessGroup.AllReduce(sums);
        var seconds = Tensor.From(totals.Seconds);
        ProcessGroup.AllReduce(seconds, ReduceOp.Max);
        var values = sums.ToArray<double>();
        totals.LossSum = values[0];
        totals.Samples = (long)Math.Round(values[1]);
        totals.Correct = (long)Math.Round(values[2]);
        totals.Seconds = seconds.Item<double>();
    }
}
