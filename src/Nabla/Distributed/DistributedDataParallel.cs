using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Distributed;

/// <summary>
/// Data-parallel training over the ranks of the default process group (<c>nn.parallel.DistributedDataParallel</c>):
/// each rank runs the wrapped module on its own share of the batch, and backward leaves every rank
/// with the gradients averaged over all ranks, so the same optimizer step on every rank keeps the
/// replicas equal. With per-rank batch b on N ranks, training equals one process with batch N·b
/// (for a loss that averages over the batch).
/// </summary>
/// <remarks>
/// <para>
/// At construction the parameters and buffers of rank 0 are broadcast to all ranks (the ranks must
/// wrap the same architecture: a shape that differs is reported with each rank's shape).
/// </para>
/// <para>
/// Gradients travel in buckets of about <c>bucketCapMB</c>, filled in reverse registration order
/// as backward completes each parameter's gradient (post-accumulate-grad hooks); a full bucket is
/// all-reduced by a background thread while backward computes the layers below it. Backward returns
/// once all buckets are averaged. Inside <see cref="NoSync"/>, backward only accumulates locally,
/// and the first backward after it reduces the accumulated gradients (gradient accumulation).
/// </para>
/// <para>
/// Buffers (batch-norm statistics): with <c>broadcastBuffers</c>, rank 0's buffers are copied to
/// every rank at the start of each forward that records gradients outside <see cref="NoSync"/>, as
/// PyTorch does; each rank's forward then updates its own copy from its own batch.
/// </para>
/// <para>
/// A parameter that receives no gradient on a rank in some backward contributes zeros to the
/// average (PyTorch's <c>find_unused_parameters=True</c> behaviour); one unused on every rank gets a
/// zero gradient rather than none.
/// </para>
/// Shape: as the wrapped module (each rank's own share of the batch).
/// </remarks>
/// <example>
/// <code>
/// Distributed.Init();
/// var model = new DistributedDataParallel(new LeNet());
/// var optimizer = new SGD(model.Parameters(), lr: 0.9);
/// foreach (var (x, y) in loader) { optimizer.ZeroGrad(); lossFn.Call(model.Call(x), y).Backward(); optimizer.Step(); }
/// </code>
/// </example>
public sealed class DistributedDataParallel : Module<Tensor, Tensor>, IDisposable
{
    readonly GradientReducer? reducer;
    readonly AsyncParameterServer? asyncServer;
    double asyncWeight = 1;
    readonly bool broadcastBuffers;
    readonly Parameter[] parameters;
    readonly MpiLibrary library;

    /// <summary>The wrapped module (<c>ddp.module</c>): save its <c>StateDict()</c> for a checkpoint without the "module." prefix.</summary>
    public Module<Tensor, Tensor> Module { get; }

    /// <summary>Wraps <paramref name="module"/> for data-parallel training; every rank must call it, with the same architecture.</summary>
    /// <param name="module">The model; its parameters are overwritten with rank 0's.</param>
    /// <param name="bucketCapMB">The size of a gradient bucket in MiB (<c>bucket_cap_mb</c>, 25).</param>
    /// <param name="broadcastBuffers">Copy rank 0's buffers to all ranks before each training forward (<c>broadcast_buffers</c>).</param>
    /// <param name="sync">All-reduce (default), a synchronous parameter server on rank 0, or an asynchronous one; see <see cref="GradientSync"/>.</param>
    /// <param name="staleness">With <see cref="GradientSync.AsyncParameterServer"/>: how many steps a rank may run ahead of the slowest (0: none).</param>
    /// <param name="serverOptimizer">With <see cref="GradientSync.AsyncParameterServer"/>: makes the server's optimizer over the server's copy of the parameters (rank 0 calls it), e.g. <c>ps => new SGD(ps, lr: 0.1)</c>; the ranks' own optimizers' steps are overwritten by each pull.</param>
    /// <exception cref="InvalidOperationException"><see cref="Distributed.Init"/> has not been called.</exception>
    /// <exception cref="ShapeException">The ranks' modules have different parameter shapes.</exception>
    /// <exception cref="ArgumentException">An asynchronous parameter server without a <paramref name="serverOptimizer"/>, or a negative staleness.</exception>
    public DistributedDataParallel(Module<Tensor, Tensor> module, double bucketCapMB = 25, bool broadcastBuffers = true, GradientSync sync = GradientSync.AllReduce,
        int staleness = 0, Func<IReadOnlyList<Parameter>, Optimizer>? serverOptimizer = null)
    {
        if (!Enum.IsDefined(sync)) throw new ArgumentOutOfRangeException(nameof(sync), sync, "DistributedDataParallel: unknown GradientSync.");
        ArgumentNullException.ThrowIfNull(module);
        if (staleness < 0) throw new ArgumentOutOfRangeException(nameof(staleness), staleness, "DistributedDataParallel: staleness must be ≥ 0.");
        if (sync == GradientSync.AsyncParameterServer && serverOptimizer is null)
            throw new ArgumentException("DistributedDataParallel: the asynchronous parameter server needs a serverOptimizer, e.g. ps => new SGD(ps, lr: 0.1).", nameof(serverOptimizer));
        if (!(bucketCapMB > 0)) throw new ArgumentOutOfRangeException(nameof(bucketCapMB), bucketCapMB, "DistributedDataParallel: bucketCapMB must be positive.");
        library = Distributed.Library("DistributedDataParallel");
        Module = module;
        this.broadcastBuffers = broadcastBuffers;
        Sync = sync;
        var parameters = module.Parameters().Distinct(ReferenceEqualityComparer.Instance).Cast<Parameter>().ToList();
        // Same architecture everywhere: the count first (a differing count would misalign the broadcasts below).
        var count = Tensor.Scalar(parameters.Count, DType.Int64);
        var maximum = count.Clone();
        Distributed.AllReduce(maximum, ReduceOp.Max);
        if (maximum.Item<long>() != parameters.Count)
            throw new ShapeException($"DistributedDataParallel: rank {Distributed.Rank} has {parameters.Count} parameters, another rank has {maximum.Item<long>()}; every rank must wrap the same model.");
        using (Autograd.NoGrad())
        {
            foreach (var p in parameters) Distributed.Broadcast(p, 0);
            foreach (var b in module.Buffers()) Distributed.Broadcast(b, 0);
        }
        this.parameters = [.. parameters];
        if (sync == GradientSync.AsyncParameterServer)
            asyncServer = new AsyncParameterServer(library, [.. parameters.Where(p => p.RequiresGrad)], staleness, serverOptimizer!);
        else
            reducer = new GradientReducer(library, [.. parameters.Where(p => p.RequiresGrad)], (long)(bucketCapMB * 1024 * 1024), sync);
    }

    /// <summary>How the gradients are combined.</summary>
    public GradientSync Sync { get; }

    /// <summary>
    /// The weight of this rank's gradient in the combined one, Σ over ranks of weight · gradient: 1 / <see cref="Distributed.WorldSize"/>
    /// (the average) by default. Ranks given unequal shares of a global batch of B samples (b_r each, see
    /// <see cref="DistributedSampler.SetBatchShares"/>) set b_r / B, so that the update equals the global batch's mean gradient.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The weight is negative or not finite.</exception>
    /// <remarks>The asynchronous parameter server applies each rank's gradient as a step of its own and ignores the weight.</remarks>
    public double GradientWeight
    {
        get => reducer?.Weight ?? asyncWeight;
        set
        {
            if (!double.IsFinite(value) || value < 0)
                throw new ArgumentOutOfRangeException(nameof(value), value, "DistributedDataParallel.GradientWeight: must be a finite number ≥ 0.");
            if (reducer is not null) reducer.Weight = value;
            else asyncWeight = value;
        }
    }

    /// <summary>
    /// Copies rank 0's parameters to every rank: the workers' pull under <see cref="GradientSync.ParameterServer"/>,
    /// done before each training forward; call it after the last step when the workers' parameters are read.
    /// </summary>
    /// <remarks>
    /// With <see cref="GradientSync.AsyncParameterServer"/> there is no collective: rank 0 takes the server's
    /// current parameters (for evaluation or a checkpoint), the other ranks the last ones they received.
    /// </remarks>
    public void SyncParameters()
    {
        if (asyncServer is not null)
        {
            using (Autograd.NoGrad())
                if (Distributed.Rank == 0) asyncServer.CopyServerParameters();
                else asyncServer.ApplyPull();
            return;
        }
        reducer!.ParametersStale = false;
        if (Distributed.WorldSize == 1) return;
        using (Autograd.NoGrad())
            foreach (var p in parameters) Distributed.BroadcastUnchecked(library, p, 0);
    }

    /// <summary>
    /// With <see cref="GradientSync.AsyncParameterServer"/>: this rank pushes nothing until its next synchronised
    /// backward, so the staleness bound does not hold the others back for it. Call it before a collective that every
    /// rank must reach (the end of an epoch, a stop); otherwise does nothing.
    /// </summary>
    public void PauseAsync() => asyncServer?.Pause();

    /// <summary>The number of gradient buckets.</summary>
    public int BucketCount => reducer?.BucketCount ?? 1;

    /// <summary>Bytes of gradient all-reduced per synchronised backward (all buckets).</summary>
    public long GradientBytes => reducer?.BytesPerStep ?? asyncServer!.BytesPerStep;

    /// <summary>
    /// With <see cref="GradientSync.AsyncParameterServer"/> on rank 0: updates applied, the largest staleness of an
    /// applied gradient (in updates), and the largest lead (in steps) of a rank over the slowest when it was answered.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another kind of sync.</exception>
    public (long Updates, long MaxStaleness, long MaxLead) AsyncServerStatistics => asyncServer is { } server
        ? (server.ServerVersion, server.MaxStaleness, server.MaxClockGap)
        : throw new InvalidOperationException("DistributedDataParallel.AsyncServerStatistics: only with GradientSync.AsyncParameterServer.");

    /// <summary>
    /// Until disposed, backward passes accumulate gradients locally without communicating (<c>no_sync()</c>):
    /// <c>using (ddp.NoSync()) { loss1.Backward(); }</c> then <c>loss2.Backward()</c> reduces the sum.
    /// </summary>
    public IDisposable NoSync()
    {
        if (asyncServer is { } server)
        {
            bool was = server.SyncEnabled;
            server.SyncEnabled = false;
            return new RemovableHandle(() => server.SyncEnabled = was);
        }
        bool previous = reducer!.SyncEnabled;
        reducer.SyncEnabled = false;
        return new RemovableHandle(() => reducer.SyncEnabled = previous);
    }

    /// <summary>
    /// Runs the wrapped module. When gradients will be reduced (grad mode on, outside <see cref="NoSync"/>), it first
    /// copies rank 0's buffers to all ranks; with a parameter server, the first training forward after an update
    /// first pulls the server's parameters.
    /// </summary>
    public override Tensor Forward(Tensor input)
    {
        // The pull comes before any training forward after an update, NoSync or not: the workers' own steps are not the server's.
        if (asyncServer is not null)
        {
            // No collective here: buffers stay each rank's own (a broadcast would be a barrier).
            if (asyncServer.ParametersStale && Autograd.IsGradEnabled)
                using (Autograd.NoGrad()) asyncServer.ApplyPull();
            return Module.Call(input);
        }
        if (reducer!.ParametersStale && Autograd.IsGradEnabled) SyncParameters();
        if (broadcastBuffers && reducer.SyncEnabled && Autograd.IsGradEnabled && Distributed.WorldSize > 1)
            using (Autograd.NoGrad())
                foreach (var buffer in Module.Buffers()) Distributed.BroadcastUnchecked(library, buffer, 0);
        return Module.Call(input);
    }

    /// <summary>Removes the gradient hooks and stops the communication thread; the wrapped module is left as it is.</summary>
    /// <remarks>With <see cref="GradientSync.AsyncParameterServer"/> every rank must dispose: it tells the server it has finished, and rank 0 waits for all.</remarks>
    public void Dispose()
    {
        reducer?.Dispose();
        asyncServer?.Dispose();
    }
}
