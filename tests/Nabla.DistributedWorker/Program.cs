using Nabla;
using Nabla.Data;
using Nabla.Distributed;
using Nabla.NN;
using Nabla.Optim;

// One rank of a test job: `mpiexec -n N dotnet Nabla.DistributedWorker.dll SCENARIO`. Each scenario
// checks its results against a single-process reference computed here, prints "rank R: …" lines that
// the tests read, and exits non-zero (with the reason on stderr) when a check fails.
return Worker.Run(args);

static class Worker
{
    public static int Run(string[] args)
    {
        string scenario = args.Length > 0 ? args[0] : "";
        switch (scenario)
        {
            case "collectives": Collectives(); break;
            case "ddp": DataParallel(GradientSync.AllReduce); break;
            case "ps": DataParallel(GradientSync.ParameterServer); break;
            case "async": AsyncParameterServer(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture)); break;
            case "shares": UnequalShares(); break;
            case "buffers": Buffers(); break;
            case "timeout": Timeout(); break;
            case "dies": Dies(); break;
            default:
                Console.Error.WriteLine($"unknown scenario \"{scenario}\" (collectives, ddp, ps, async K, shares, buffers, timeout, dies)");
                return 2;
        }
        Distributed.DestroyProcessGroup();
        return 0;
    }

    static void Say(string text) => Console.WriteLine($"rank {Distributed.Rank}: {text}");

    static void Expect(string what, Tensor actual, Tensor expected, double tolerance = 1e-6)
    {
        if (!actual.Shape.Equals(expected.Shape) || actual.DType != expected.DType)
            throw new InvalidOperationException($"{what}: got {actual.Shape} {actual.DType}, expected {expected.Shape} {expected.DType}");
        double difference = (actual.Double() - expected.Double()).Abs().Max().Item();
        if (difference > tolerance)
            throw new InvalidOperationException($"{what}: differs from the single-process reference by {difference}:\n{actual}\nexpected\n{expected}");
    }

    // Rank k's input in the collective checks.
    static Tensor Input(int k) => Tensor.Arange(0, 6, dtype: DType.Float32).Reshape(2, 3) * (k + 1) + k;

    static void Collectives()
    {
        Distributed.Init(TimeSpan.FromSeconds(30));
        int rank = Distributed.Rank, n = Distributed.WorldSize;
        // .NET exceptions from hardware traps still work after MPI is loaded (MPICH's UCX would abort on them).
        try { object? nothing = null; _ = nothing!.GetHashCode(); }
        catch (NullReferenceException) { Say("null reference caught"); }

        var inputs = Enumerable.Range(0, n).Select(Input).ToArray();
        var sum = inputs.Aggregate((a, b) => a + b);
        var max = inputs.Aggregate((a, b) => a.Maximum(b));
        var min = inputs.Aggregate((a, b) => a.Minimum(b));
        foreach (var (op, expected) in new[] { (ReduceOp.Sum, sum), (ReduceOp.Avg, sum / n), (ReduceOp.Max, max), (ReduceOp.Min, min) })
        {
            var x = Input(rank).Clone();
            Distributed.AllReduce(x, op);
            Expect($"AllReduce {op}", x, expected);
        }
        // A non-contiguous view is reduced in place through a copy.
        var matrix = Input(rank).Clone();
        Distributed.AllReduce(matrix.T, ReduceOp.Sum);
        Expect("AllReduce of a transposed view", matrix, sum);
        var integers = Tensor.Arange(4) * (rank + 1);
        Distributed.AllReduce(integers);
        Expect("AllReduce int64", integers, Tensor.Arange(4) * (n * (n + 1) / 2));

        var broadcast = Input(rank).Clone();
        Distributed.Broadcast(broadcast, n - 1);
        Expect("Broadcast", broadcast, Input(n - 1));

        var gathered = Enumerable.Range(0, n).Select(_ => Tensor.Zeros(2, 3)).ToArray();
        Distributed.AllGather(gathered, Input(rank));
        for (int k = 0; k < n; k++) Expect($"AllGather[{k}]", gathered[k], Input(k));

        // Rank q's list holds Input(q) + 10·k for destination k; rank r receives Σ_q Input(q) + 10·r.
        var output = Tensor.Zeros(2, 3);
        Distributed.ReduceScatter(output, Enumerable.Range(0, n).Select(k => Input(rank) + 10 * k).ToArray());
        Expect("ReduceScatter", output, sum + 10.0 * n * rank);

        if (n > 1)
        {
            // A ring: even ranks send first, so that no two neighbours wait for each other.
            int next = (rank + 1) % n, previous = (rank + n - 1) % n;
            var received = Tensor.Zeros(2, 3);
            if (rank % 2 == 0) { Distributed.Send(Input(rank), next, tag: 5); Distributed.Recv(received, previous, tag: 5); }
            else { Distributed.Recv(received, previous, tag: 5); Distributed.Send(Input(rank), next, tag: 5); }
            Expect("Send/Recv", received, Input(previous));

            // Ranks that disagree on the shape all get the same error, naming each rank's shape.
            var odd = rank == 0 ? Tensor.Zeros(2, 3) : Tensor.Zeros(3);
            try
            {
                Distributed.AllReduce(odd);
                throw new InvalidOperationException("AllReduce accepted tensors of different shapes");
            }
            catch (ShapeException e) { Say($"mismatch: {e.Message}"); }

            if (rank == 0) Distributed.Send(Tensor.Zeros(2, 3), 1, tag: 1);
            if (rank == 1)
                try
                {
                    Distributed.Recv(Tensor.Zeros(4), 0, tag: 1);
                    throw new InvalidOperationException("Recv accepted a tensor of another shape");
                }
                catch (ShapeException e) { Say($"recv mismatch: {e.Message}"); }
        }
        Distributed.Barrier();
        Say("collectives ok");
    }

    static Module<Tensor, Tensor> SmallNet(long seed)
    {
        Generator.ManualSeed(seed);
        return new Sequential(new Conv2d(1, 4, 3), new ReLU(), new Flatten(), new Linear(4 * 6 * 6, 4));
    }

    /// <summary>
    /// N ranks with batch b per rank (DistributedSampler, DistributedDataParallel) against one process
    /// with batch N·b over the same epoch orders: two plain epochs, then one of gradient accumulation
    /// (two micro-batches per step, the first inside NoSync) against batch 2·N·b; with all-reduce or a parameter server.
    /// </summary>
    static void DataParallel(GradientSync sync)
    {
        Distributed.Init(TimeSpan.FromSeconds(60));
        int rank = Distributed.Rank, n = Distributed.WorldSize;
        const int samples = 48, batch = 4, seed = 3;
        var generator = new Generator(7);
        var dataset = new TensorDataset(Tensor.Randn([samples, 1, 8, 8], generator: generator), Tensor.RandInt(0, 4, [samples], generator: generator));
        var lossFunction = new CrossEntropyLoss();

        // Each rank starts from different weights: the wrapper must broadcast rank 0's.
        var model = SmallNet(100 + rank);
        // Buckets of 1 KB: several buckets, so that their order and overlap are exercised.
        using var ddp = new DistributedDataParallel(model, bucketCapMB: 1.0 / 1024, sync: sync);
        Say($"buckets {ddp.BucketCount}, gradient bytes {ddp.GradientBytes}");
        var optimizer = new SGD(ddp.Parameters(), lr: 0.1, momentum: 0.9);
        var sampler = new DistributedSampler(samples, seed: seed);
        var loader = new DataLoader<Tensor[]>(dataset, batchSize: batch, sampler: sampler, prefetch: 0);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            sampler.SetEpoch(epoch);
            foreach (var xy in loader)
            {
                optimizer.ZeroGrad();
                lossFunction.Call(ddp.Call(xy[0]), xy[1]).Backward();
                optimizer.Step();
            }
        }
        sampler.SetEpoch(2);
        var micro = loader.ToList();
        for (int step = 0; step + 1 < micro.Count; step += 2)
        {
            optimizer.ZeroGrad();
            using (ddp.NoSync()) (lossFunction.Call(ddp.Call(micro[step][0]), micro[step][1]) * 0.5).Backward();
            (lossFunction.Call(ddp.Call(micro[step + 1][0]), micro[step + 1][1]) * 0.5).Backward();
            optimizer.Step();
        }

        // Every rank holds the same parameters (the workers of a parameter server once they have pulled).
        if (sync == GradientSync.ParameterServer) ddp.SyncParameters();
        foreach (var (name, p) in model.NamedParameters())
        {
            var (high, low) = (p.Detach().Clone(), p.Detach().Clone());
            Distributed.AllReduce(high, ReduceOp.Max);
            Distributed.AllReduce(low, ReduceOp.Min);
            Expect($"parameter {name} equal on all ranks", high, low, 0);
        }
        if (rank == 0)
        {
            var reference = SmallNet(100);
            var referenceOptimizer = new SGD(reference.Parameters(), lr: 0.1, momentum: 0.9);
            var order = new DistributedSampler(samples, numReplicas: 1, rank: 0, seed: seed);
            for (int epoch = 0; epoch < 3; epoch++)
            {
                order.SetEpoch(epoch);
                int globalBatch = epoch < 2 ? n * batch : 2 * n * batch;
                foreach (var xy in new DataLoader<Tensor[]>(dataset, batchSize: globalBatch, sampler: order, prefetch: 0))
                {
                    referenceOptimizer.ZeroGrad();
                    lossFunction.Call(reference.Call(xy[0]), xy[1]).Backward();
                    referenceOptimizer.Step();
                }
            }
            double worst = 0;
            var trained = model.StateDict();
            foreach (var (name, expected) in reference.StateDict())
                worst = Math.Max(worst, (trained[name] - expected).Abs().Max().Item());
            Say($"{sync} max difference {worst:E2}");
            if (worst > 1e-5) throw new InvalidOperationException($"DistributedDataParallel differs from the single-process reference by {worst}");
        }
        Say($"{sync} ok");
    }

    /// <summary>
    /// The asynchronous parameter server with staleness bound K on a least-squares problem (y = X·w* + b* + noise,
    /// Linear(8, 1), MSE), the last rank 4 ms slower per step than the others: the server's parameters
    /// converge, every push is applied once, no rank was answered while more than K steps ahead of the
    /// slowest, and no gradient was older than (2K + 1)(N − 1) updates.
    /// </summary>
    static void AsyncParameterServer(int staleness)
    {
        Distributed.Init(TimeSpan.FromSeconds(60));
        int rank = Distributed.Rank, n = Distributed.WorldSize;
        const int samples = 96, batch = 8, epochs = 8;
        var generator = new Generator(11);
        var x = Tensor.Randn([samples, 8], generator: generator);
        var trueWeight = Tensor.Randn([8, 1], generator: generator);
        var y = x.MatMul(trueWeight) + 0.5 + 0.01 * Tensor.Randn([samples, 1], generator: generator);
        var dataset = new TensorDataset(x, y);
        var lossFunction = new MSELoss();

        Generator.ManualSeed(200 + rank);
        var model = new Linear(8, 1);
        var ddp = new DistributedDataParallel(model, sync: GradientSync.AsyncParameterServer, staleness: staleness,
            serverOptimizer: parameters => new SGD(parameters, lr: 0.05));
        double initialLoss;
        using (Autograd.NoGrad()) initialLoss = lossFunction.Call(model.Call(x), y).Item();
        var optimizer = new SGD(ddp.Parameters(), lr: 0.05);
        var sampler = new DistributedSampler(samples, seed: 5);
        var loader = new DataLoader<Tensor[]>(dataset, batchSize: batch, sampler: sampler, prefetch: 0);
        int steps = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            sampler.SetEpoch(epoch);
            foreach (var xy in loader)
            {
                if (rank == n - 1) Thread.Sleep(4);
                optimizer.ZeroGrad();
                lossFunction.Call(ddp.Call(xy[0]), xy[1]).Backward();
                optimizer.Step();
                steps++;
            }
        }
        ddp.Dispose(); // every rank tells the server it has finished; rank 0 waits for all
        if (rank == 0)
        {
            ddp.SyncParameters(); // the server's parameters
            var (updates, maxStaleness, maxLead) = ddp.AsyncServerStatistics;
            double finalLoss;
            using (Autograd.NoGrad()) finalLoss = lossFunction.Call(model.Call(x), y).Item();
            Say($"async K={staleness} updates {updates}, max staleness {maxStaleness}, max lead {maxLead}, loss {initialLoss:F4} -> {finalLoss:F6}");
            if (updates != (long)n * steps) throw new InvalidOperationException($"the server applied {updates} updates, expected {n} × {steps}");
            if (maxLead > staleness) throw new InvalidOperationException($"a rank was answered {maxLead} steps ahead of the slowest, bound {staleness}");
            if (maxStaleness > (2L * staleness + 1) * (n - 1)) throw new InvalidOperationException($"a gradient was {maxStaleness} updates old, bound {(2 * staleness + 1) * (n - 1)}");
            if (!(finalLoss < 1e-3 && finalLoss < initialLoss / 100)) throw new InvalidOperationException($"did not converge: loss {initialLoss} -> {finalLoss}");
        }
        Say($"async ok after {steps} steps");
    }

    /// <summary>
    /// Unequal shares of each global batch (rank r takes 2 + 4r samples), each rank's gradient weighted by its
    /// share: the same parameters as one process with the whole global batch.
    /// </summary>
    static void UnequalShares()
    {
        Distributed.Init(TimeSpan.FromSeconds(60));
        int rank = Distributed.Rank, n = Distributed.WorldSize;
        const int samples = 48, seed = 4;
        var shares = Enumerable.Range(0, n).Select(r => 2 + 4 * r).ToArray();
        int global = shares.Sum();
        var generator = new Generator(8);
        var dataset = new TensorDataset(Tensor.Randn([samples, 1, 8, 8], generator: generator), Tensor.RandInt(0, 4, [samples], generator: generator));
        var lossFunction = new CrossEntropyLoss();
        var model = SmallNet(200);
        using var ddp = new DistributedDataParallel(model) { GradientWeight = (double)shares[rank] / global };
        var optimizer = new SGD(ddp.Parameters(), lr: 0.1);
        var sampler = new DistributedSampler(samples, seed: seed);
        sampler.SetBatchShares(shares);
        var loader = new DataLoader<Tensor[]>(dataset, batchSize: shares[rank], sampler: sampler, prefetch: 0);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            sampler.SetEpoch(epoch);
            foreach (var xy in loader)
            {
                optimizer.ZeroGrad();
                lossFunction.Call(ddp.Call(xy[0]), xy[1]).Backward();
                optimizer.Step();
            }
        }
        if (rank == 0)
        {
            var reference = SmallNet(200);
            var referenceOptimizer = new SGD(reference.Parameters(), lr: 0.1);
            var order = new DistributedSampler(samples, numReplicas: 1, rank: 0, seed: seed);
            for (int epoch = 0; epoch < 2; epoch++)
            {
                order.SetEpoch(epoch);
                foreach (var xy in new DataLoader<Tensor[]>(dataset, batchSize: global, sampler: order, dropLast: true, prefetch: 0))
                {
                    referenceOptimizer.ZeroGrad();
                    lossFunction.Call(reference.Call(xy[0]), xy[1]).Backward();
                    referenceOptimizer.Step();
                }
            }
            double worst = 0;
            var trained = model.StateDict();
            foreach (var (name, expected) in reference.StateDict())
                worst = Math.Max(worst, (trained[name] - expected).Abs().Max().Item());
            Say($"shares [{string.Join(", ", shares)}] max difference {worst:E2}");
            if (worst > 1e-5) throw new InvalidOperationException($"unequal shares differ from the single-process reference by {worst}");
        }
        Say("shares ok");
    }

    /// <summary>Batch-norm statistics: each rank's differ after a step on its own data; the next training forward starts from rank 0's.</summary>
    static void Buffers()
    {
        Distributed.Init(TimeSpan.FromSeconds(30));
        int rank = Distributed.Rank;
        Generator.ManualSeed(1);
        var norm = new BatchNorm2d(2);
        var model = new Sequential(new Conv2d(1, 2, 3), norm, new Flatten(), new Linear(2 * 6 * 6, 2));
        using var ddp = new DistributedDataParallel(model);
        var own = Tensor.Randn([4, 1, 8, 8], generator: new Generator(50 + rank));
        ddp.Call(own).Sum().Backward();
        var spread = norm.RunningMean!.Clone();
        var other = spread.Clone();
        Distributed.AllReduce(spread, ReduceOp.Max);
        Distributed.AllReduce(other, ReduceOp.Min);
        Say($"running means differ after own data: {(spread - other).Abs().Max().Item() > 1e-4}");
        // Rank 0's statistics, updated by the same batch everywhere.
        var expected = norm.RunningMean!.Clone();
        Distributed.Broadcast(expected, 0);
        var same = Tensor.Randn([4, 1, 8, 8], generator: new Generator(99));
        ddp.Call(same);
        using (Autograd.NoGrad())
        {
            var batchMean = model[0].Call(same).Mean([0, 2, 3]);
            expected = expected * 0.9 + batchMean * 0.1;
        }
        Expect("running mean after the broadcast and one more batch", norm.RunningMean!, expected, 1e-6);
        Say("buffers ok");
    }

    /// <summary>Rank 1 never comes to the collective: rank 0 must fail after its timeout, not hang, and end the job.</summary>
    static void Timeout()
    {
        Distributed.Init(TimeSpan.FromSeconds(2));
        if (Distributed.Rank != 0)
        {
            Thread.Sleep(TimeSpan.FromSeconds(60));
            return;
        }
        try
        {
            Distributed.AllReduce(Tensor.Ones(3));
        }
        catch (DistributedException e)
        {
            Console.Error.WriteLine($"rank 0 failed: {e.Message}");
            Distributed.Abort(3);
        }
    }

    /// <summary>Rank 1 dies of an unhandled exception while rank 0 waits for it in a collective.</summary>
    static void Dies()
    {
        Distributed.Init(TimeSpan.FromSeconds(60));
        if (Distributed.Rank == 1) throw new InvalidOperationException("rank 1 fails on purpose");
        Distributed.AllReduce(Tensor.Ones(3));
    }
}
