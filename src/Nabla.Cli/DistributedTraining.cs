using System.Diagnostics;
using System.Globalization;
using Nabla.Data;
using Nabla.Distributed;
using Nabla.NN;
using Nabla.Optim;
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
    /// <summary>The values of <c>--sync</c>: all-reduce, a synchronous parameter server on rank 0, or an asynchronous one (<see cref="GradientSync"/>).</summary>
    public static readonly string[] SyncModes = ["allreduce", "ps", "async"];

    /// <summary>The staleness bound of <c>--sync async</c> without <c>--staleness</c>.</summary>
    public const int DefaultStaleness = 2;

    private const int WarmUpSteps = 2, TimedSteps = 4;

    private DistributedSampler? sampler;
    private DistributedDataParallel? wrapped;

    private DistributedTraining(int rank, int worldSize, GradientSync sync, int staleness, bool splitBySpeed)
    {
        Rank = rank;
        WorldSize = worldSize;
        Sync = sync;
        Staleness = staleness;
        SplitsBySpeed = splitBySpeed;
    }

    /// <summary>With the asynchronous parameter server: how many steps a process may run ahead of the slowest.</summary>
    public int Staleness { get; }

    /// <summary>
    /// Whether the processes train without a barrier per step (<c>--sync async</c>): each stops on its own
    /// request, and the run meets at the end of each epoch only.
    /// </summary>
    public bool IsAsynchronous => Sync == GradientSync.AsyncParameterServer;

    /// <summary>Whether each process's share of the global batch follows its measured speed (<c>--split-by-speed</c>).</summary>
    public bool SplitsBySpeed { get; }

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
        if ((settings.Sync is not null || settings.SplitBySpeed || settings.Staleness is not null) && !settings.Distributed)
        {
            stderr.WriteLine($"nabla: {(settings.Sync is not null ? "--sync" : settings.Staleness is not null ? "--staleness" : "--split-by-speed")} applies to --distributed training.");
            return 1;
        }
        if (settings.Staleness is not null && settings.Sync != "async")
        {
            stderr.WriteLine("nabla: --staleness applies to --sync async.");
            return 1;
        }
        if (settings.Sync == "async" && settings.SplitBySpeed)
        {
            stderr.WriteLine("nabla: --split-by-speed does not combine with --sync async (there, a faster process simply makes more steps).");
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
        var sync = settings.Sync switch
        {
            "ps" => GradientSync.ParameterServer,
            "async" => GradientSync.AsyncParameterServer,
            _ => GradientSync.AllReduce,
        };
        var session = new DistributedTraining(ProcessGroup.Rank, ProcessGroup.WorldSize, sync, settings.Staleness ?? DefaultStaleness, settings.SplitBySpeed);
        int status;
        try
        {
            status = train(session);
            // Every rank: the asynchronous server's thread on rank 0 ends when all ranks have said they finished.
            session.wrapped?.Dispose();
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
                // The same error on every rank: rank 0 prints it and its abort ends the whole job, this
                // process included. Exiting first would let the launcher kill rank 0 before it prints (a
                // fixed 2 s wait lost that race on a loaded machine), so wait for that abort; only an
                // error that rank 0 never reaches gets here to the abort below.
                Thread.Sleep(TimeSpan.FromSeconds(60));
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
        $"Distributed: {WorldSize} process{(WorldSize == 1 ? "" : "es")} × batch {LocalBatchSize(batchSize)} = {batchSize}, {Sync switch
        {
            GradientSync.AllReduce => "gradients averaged by all-reduce",
            GradientSync.ParameterServer => "synchronous parameter server on rank 0",
            _ => $"asynchronous parameter server on rank 0, staleness {Staleness}",
        }} ({ProcessGroup.Backend}); rank 0 reports.");

    /// <summary>Wraps the model so that backward averages the gradients over the ranks (and rank 0's weights are everyone's).</summary>
    /// <param name="model">The model.</param>
    /// <param name="optimizerName">The run's optimizer, as <see cref="OptimizerFactory"/> names it.</param>
    /// <param name="optimizer">The run's optimizer; with <c>--sync async</c> the server on rank 0 gets one of the same kind and learning rate.</param>
    /// <param name="hasSchedule">Whether a learning-rate schedule steps <paramref name="optimizer"/> (the asynchronous server would not follow it).</param>
    /// <exception cref="ArgumentException"><c>--sync async</c> with a schedule or with several learning rates (fine-tuning).</exception>
    public Module<Tensor, Tensor> Wrap(Module<Tensor, Tensor> model, string optimizerName, Optimizer optimizer, bool hasSchedule)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!IsAsynchronous)
        {
            return wrapped = new DistributedDataParallel(model, sync: Sync);
        }
        if (hasSchedule || optimizer.ParamGroups.Count != 1)
        {
            throw new ArgumentException("--sync async: the server's optimizer has one fixed learning rate; it does not follow --lr-schedule or fine-tuning's two rates yet.");
        }
        double lr = optimizer.ParamGroups[0].Lr;
        return wrapped = new DistributedDataParallel(model, sync: Sync, staleness: Staleness,
            serverOptimizer: parameters => OptimizerFactory.Create(optimizerName, [new ParamGroup(parameters)], lr));
    }

    /// <summary>
    /// Before the processes meet (end of an epoch, a stop): with <c>--sync async</c> this process leaves the staleness
    /// bound until its next step, so that the others do not wait for it.
    /// </summary>
    public void EndSteps() => wrapped?.PauseAsync();

    /// <summary>
    /// After the processes have met: with <c>--sync async</c>, rank 0's model takes the server's parameters (which it
    /// then evaluates and checkpoints), the others the last ones they received.
    /// </summary>
    public void TakeServerParameters()
    {
        if (IsAsynchronous)
        {
            wrapped?.SyncParameters();
        }
    }

    /// <summary>
    /// Under <c>--split-by-speed</c>: times a few forward and backward passes of each rank on its first batches
    /// (without communicating or stepping; the batch-norm statistics are put back), gives each rank a share of
    /// the global batch proportional to its speed, weights its gradient by its share, and returns the loader of
    /// its share; global batches that would come out smaller than <paramref name="batchSize"/> (the epoch's
    /// last) are dropped. Otherwise returns <paramref name="loader"/>.
    /// </summary>
    /// <param name="loader">This rank's loader of equal shares, from <see cref="TrainLoader"/>.</param>
    /// <param name="step">Forward and backward of one batch, e.g. the trainer's loss and its Backward.</param>
    /// <param name="batchSize">The global batch.</param>
    /// <param name="log">Where rank 0 says how the batch was split.</param>
    public DataLoader<(Tensor Image, Tensor Label)> SplitBySpeed(DataLoader<(Tensor Image, Tensor Label)> loader,
        Action<Tensor, Tensor> step, int batchSize, TextWriter log)
    {
        if (!SplitsBySpeed || wrapped is null || sampler is null || loader.Dataset is not Dataset<(Tensor Image, Tensor Label)> dataset)
        {
            return loader;
        }
        if (batchSize < WorldSize)
        {
            throw new ArgumentException($"--split-by-speed: the batch of {batchSize} cannot give each of {WorldSize} processes a sample.");
        }
        double samplesPerSecond = MeasureSpeed(loader, step);
        var speeds = Enumerable.Range(0, WorldSize).Select(_ => Tensor.Zeros([1], DType.Float64)).ToArray();
        ProcessGroup.AllGather(speeds, Tensor.From(new[] { samplesPerSecond }));
        double[] speed = [.. speeds.Select(t => t.Item<double>())];
        int[] shares = Shares(speed, batchSize);
        sampler.SetBatchShares(shares);
        wrapped.GradientWeight = (double)shares[Rank] / batchSize;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Split by speed: shares {string.Join(" + ", shares)} = {batchSize} (measured {string.Join(", ", speed.Select(v => v.ToString("N0", CultureInfo.InvariantCulture)))} samples/s; an epoch's last, smaller batch is dropped)."));
        return new DataLoader<(Tensor Image, Tensor Label)>(dataset, shares[Rank], sampler: sampler);
    }

    /// <summary>
    /// Shares of <paramref name="batchSize"/> proportional to <paramref name="speed"/>, at least 1 each, rounded by
    /// largest remainder so that they add up to the batch.
    /// </summary>
    public static int[] Shares(IReadOnlyList<double> speed, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(speed);
        int n = speed.Count;
        double total = speed.Sum();
        // One sample each first, the rest in proportion.
        double[] exact = [.. speed.Select(v => (batchSize - n) * v / total)];
        int[] shares = [.. exact.Select(v => 1 + (int)Math.Floor(v))];
        foreach (int r in Enumerable.Range(0, n).OrderByDescending(r => exact[r] - Math.Floor(exact[r])).ThenBy(r => r).Take(batchSize - shares.Sum()))
        {
            shares[r]++;
        }
        return shares;
    }

    private double MeasureSpeed(DataLoader<(Tensor Image, Tensor Label)> loader, Action<Tensor, Tensor> step)
    {
        var buffers = wrapped!.Module.Buffers().Select(b => (Buffer: b, Saved: b.Clone())).ToList();
        long samples = 0;
        var clock = new Stopwatch();
        using (wrapped.NoSync())
        {
            int index = 0;
            foreach (var (images, labels) in loader)
            {
                if (index == WarmUpSteps)
                {
                    clock.Start();
                }
                step(images, labels);
                if (index >= WarmUpSteps)
                {
                    samples += labels.Size(0);
                }
                if (++index == WarmUpSteps + TimedSteps)
                {
                    break;
                }
            }
        }
        clock.Stop();
        wrapped.Module.ZeroGrad();
        using (Autograd.NoGrad())
        {
            foreach (var (buffer, saved) in buffers)
            {
                buffer.Copy_(saved);
            }
        }
        // Too few batches to time: equal speeds.
        return samples > 0 && clock.Elapsed.TotalSeconds > 0 ? samples / clock.Elapsed.TotalSeconds : 1;
    }

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

    /// <summary>
    /// After a resume in the middle of an epoch: the checkpoint's sums (already over all ranks) stay with rank 0, and the
    /// other ranks start from zero, so that <see cref="CombineTotals"/> counts them once. The batch count stays everywhere.
    /// </summary>
    public void ResumeTotals(EpochTotals totals)
    {
        ArgumentNullException.ThrowIfNull(totals);
        if (IsRoot)
        {
            return;
        }
        totals.LossSum = 0;
        totals.Samples = 0;
        totals.Correct = 0;
        totals.Seconds = 0;
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
