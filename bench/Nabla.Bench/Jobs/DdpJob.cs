using System.Diagnostics;
using System.Globalization;
using Nabla.Distributed;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Vision.Models;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>ddp</c>: data-parallel training steps on 1 and 2 processes of one thread each, as torch_anchor.py's
/// <c>ddp</c> job (DistributedDataParallel over gloo there, over MPI here): the <c>mlp</c> model (SGD lr 0.1)
/// and the course LeNet (SGD lr 0.9), Xavier init, batch 256 of seeded random data per process; np1 is
/// the same program with world size 1. Timed in chunks of 50 (MLP) or 10 (LeNet) steps after one
/// warm-up chunk, a barrier before each chunk, median of <c>ITERS</c> chunks (default 5). Prints
/// <c>ddp-{mlp,lenet}-np{1,2}</c> samples_per_s (all processes together) and <c>ddp-…-efficiency</c>
/// ratio = np2 / (2 · np1); the np2 figure also gives the gradient bytes all-reduced per step and the
/// median time of a bare all-reduce of that size (allreduce_ms), which the README's cost model uses.
/// The job starts itself under mpiexec (MPICH, tests/install-mpi.sh) with the hidden argument
/// <c>ddp-worker</c>. <c>NABLA_DDP_NOSYNC=1</c> runs the same steps inside <c>NoSync()</c> (no gradient
/// communication): the machine's own scaling of two processes, against which to read the efficiency.
/// </summary>
internal sealed class DdpJob : IBenchJob
{
    public const string WorkerArgument = "ddp-worker";

    public string Name => "ddp";

    public IEnumerable<Figure> Run()
    {
        int iterations = int.TryParse(Environment.GetEnvironmentVariable("ITERS"), out int i) ? i : 5;
        foreach (var (kind, steps) in new[] { ("mlp", 50), ("lenet", 10) })
        {
            var rate = new Dictionary<int, double>();
            foreach (int world in new[] { 1, 2 })
            {
                var result = Launch(world, kind, steps, iterations);
                rate[world] = world * 256 / result.SecondsPerStep;
                yield return world == 1
                    ? new Figure($"ddp-{kind}-np{world}", ("samples_per_s", rate[world]))
                    : new Figure($"ddp-{kind}-np{world}", ("samples_per_s", rate[world]), ("gradient_bytes", result.GradientBytes), ("allreduce_ms", result.AllReduceSeconds * 1e3));
            }
            yield return new Figure($"ddp-{kind}-efficiency", ("ratio", rate[2] / (2 * rate[1])));
        }
    }

    sealed record WorkerResult(double SecondsPerStep, double GradientBytes, double AllReduceSeconds);

    static WorkerResult Launch(int world, string kind, int steps, int iterations)
    {
        string launcher = new[] { "mpiexec.mpich", "mpiexec" }
            .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)))
            .FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("ddp: no mpiexec on PATH; run tests/install-mpi.sh (apt-get install mpich).");
        string host = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        var start = new ProcessStartInfo(launcher) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-n", world.ToString(CultureInfo.InvariantCulture), host, typeof(DdpJob).Assembly.Location, WorkerArgument, kind,
            steps.ToString(CultureInfo.InvariantCulture), iterations.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        start.Environment["NABLA_NUM_THREADS"] = "1";
        start.Environment["TERM"] = "dumb";
        start.Environment["NABLA_DDP_NOSYNC"] = Environment.GetEnvironmentVariable("NABLA_DDP_NOSYNC") ?? "";
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"ddp: the np{world} {kind} job failed (exit code {process.ExitCode}).");
        var values = output.Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        return new WorkerResult(values[0], values[1], values[2]);
    }

    /// <summary>One rank of the job; rank 0 prints "seconds-per-step gradient-bytes allreduce-seconds".</summary>
    public static int Worker(string[] args)
    {
        string kind = args[1];
        int steps = int.Parse(args[2], CultureInfo.InvariantCulture), iterations = int.Parse(args[3], CultureInfo.InvariantCulture);
        Nabla.Distributed.Distributed.Init();
        int rank = Nabla.Distributed.Distributed.Rank;
        Generator.ManualSeed(rank);
        Sequential net = kind == "mlp" ? Mlp.Create() : LeNet.Create();
        InitWeights.XavierUniform(net);
        using var model = new DistributedDataParallel(net);
        var optimizer = new SGD(model.Parameters(), lr: kind == "mlp" ? 0.1 : 0.9);
        var lossFunction = new CrossEntropyLoss();
        var x = Tensor.Randn(256, 1, 28, 28);
        var y = Tensor.RandInt(0, 10, [256]);
        bool local = Environment.GetEnvironmentVariable("NABLA_DDP_NOSYNC") == "1";
        void Chunk()
        {
            using var scope = local ? model.NoSync() : null;
            for (int s = 0; s < steps; s++)
            {
                var loss = lossFunction.Call(model.Call(x), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
            }
        }
        Chunk();
        var times = new List<double>();
        for (int r = 0; r < iterations; r++)
        {
            Nabla.Distributed.Distributed.Barrier();
            long start = Stopwatch.GetTimestamp();
            Chunk();
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds / steps);
        }
        // A bare all-reduce of the gradients' size, for the cost model.
        var gradients = Tensor.Zeros((int)(model.GradientBytes / 4));
        var reduceTimes = new List<double>();
        for (int r = 0; r < 20; r++)
        {
            Nabla.Distributed.Distributed.Barrier();
            long start = Stopwatch.GetTimestamp();
            Nabla.Distributed.Distributed.AllReduce(gradients);
            reduceTimes.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        times.Sort();
        reduceTimes.Sort();
        if (rank == 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{times[times.Count / 2]:R} {model.GradientBytes} {reduceTimes[reduceTimes.Count / 2]:R}"));
        Nabla.Distributed.Distributed.DestroyProcessGroup();
        return 0;
    }
}
