using System.Diagnostics;
using System.Runtime.InteropServices;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Distributed;

/// <summary>
/// The asynchronous parameter server behind <see cref="GradientSync.AsyncParameterServer"/>, with stale
/// synchronous parallel's bound (Ho et al., 2013, "More effective distributed ML via a stale synchronous
/// parallel parameter server"). Rank 0 runs the server on a thread of its own, over its own copy of the
/// parameters and its own optimizer; every rank, rank 0 included, is a worker.
/// </summary>
/// <remarks>
/// <para>
/// Worker: at the end of each synchronised backward it pushes its gradient, tagged with the version of
/// the parameters it was computed from, and waits for the server's answer: the parameters after its
/// update. They replace the worker's own at its next training forward (its own optimizer step is
/// overwritten, as with the synchronous server). No barrier: the others go on meanwhile.
/// </para>
/// <para>
/// Server: applies each push as it arrives — the gradient becomes the master parameters' gradient,
/// the server optimizer steps, the version goes up by one — and answers. The bound: a worker's clock is
/// the number of its pushes; the answer to a worker whose clock is more than <c>staleness</c> ahead of
/// the slowest running worker's is held back until that one catches up. So no worker runs more than
/// <c>staleness</c> steps ahead of another, and a gradient is applied at most (2·staleness + 1)·(N − 1)
/// versions after the parameters it was computed from (each other worker pushes at most 2·staleness + 1
/// times meanwhile). staleness = 0 is round-robin: every worker waits for all to finish the step.
/// </para>
/// <para>
/// Messages are float32 with the version in element 0 (exact up to 2^24 updates); -1 there says the
/// worker pauses (it leaves the bound until its next push: before a collective such as the end of an
/// epoch, where it would otherwise hold the others back), -2 that it has finished. The tags 32766 and 32767 are the server's (<see cref="Distributed.Send"/>'s
/// tag 16383 uses them too).
/// </para>
/// </remarks>
internal sealed unsafe class AsyncParameterServer : IDisposable
{
    const int PushTag = 32766, PullTag = 32767;
    const float PauseMark = -1, FinishMark = -2;
    const string Op = "DistributedDataParallel (asynchronous parameter server)";

    readonly MpiLibrary library;
    readonly Parameter[] parameters;
    readonly int[] offsets;
    readonly int count;
    readonly float[] push, pull;
    readonly RemovableHandle[] hooks;
    readonly int staleness;
    bool inBackward, finished;

    // Rank 0 only: the server's parameters, their gradients and optimizer, and its thread.
    readonly Parameter[]? master;
    readonly Tensor[]? masterGrads;
    readonly Optimizer? serverOptimizer;
    readonly Thread? server;
    readonly Lock masterLock = new();
    volatile Exception? serverError;
    long serverVersion, maxStaleness, maxClockGap;

    public AsyncParameterServer(MpiLibrary library, IReadOnlyList<Parameter> parameters, int staleness, Func<IReadOnlyList<Parameter>, Optimizer> optimizerFactory)
    {
        this.library = library;
        this.parameters = [.. parameters];
        this.staleness = staleness;
        offsets = new int[parameters.Count];
        int total = 1; // element 0: the version
        for (int p = 0; p < parameters.Count; p++)
        {
            var parameter = parameters[p];
            if (parameter.DType != DType.Float32 || !parameter.IsContiguous)
                throw new DTypeException($"DistributedDataParallel: the asynchronous parameter server takes contiguous float32 parameters; parameter {p} is {parameter.DType.TorchName()} of shape {parameter.Shape}{(parameter.IsContiguous ? "" : ", not contiguous")}.");
            offsets[p] = total;
            total = checked(total + (int)parameter.NumElements);
        }
        count = total;
        push = GC.AllocateArray<float>(count, pinned: true);
        pull = GC.AllocateArray<float>(count, pinned: true);
        hooks = new RemovableHandle[parameters.Count];
        for (int p = 0; p < parameters.Count; p++) hooks[p] = parameters[p].RegisterPostAccumulateGradHook(_ => OnGradient());

        if (Distributed.Rank == 0)
        {
            using (Autograd.NoGrad())
            {
                master = [.. parameters.Select(p => new Parameter(p.Detach().Clone()))];
                masterGrads = [.. parameters.Select(p => Tensor.Zeros(p.Shape.ToArray()))];
            }
            serverOptimizer = optimizerFactory(master) ?? throw new ArgumentException("DistributedDataParallel: the server optimizer factory returned null.");
            server = new Thread(Serve) { IsBackground = true, Name = "Nabla.Distributed asynchronous parameter server" };
            server.Start();
        }
    }

    /// <summary>Whether backward passes push (false inside <c>NoSync</c>: gradients only accumulate).</summary>
    public bool SyncEnabled { get; set; } = true;

    /// <summary>Set by each push, until the worker's parameters are replaced by the answer.</summary>
    public bool ParametersStale { get; private set; }

    /// <summary>The version of the parameters this worker last received (0: the broadcast at construction).</summary>
    public long Version { get; private set; }

    /// <summary>Bytes of one push.</summary>
    public long BytesPerStep => (long)count * sizeof(float);

    /// <summary>Rank 0: updates applied so far.</summary>
    public long ServerVersion => Interlocked.Read(ref serverVersion);

    /// <summary>Rank 0: the largest number of updates applied between a gradient's parameters and its own update.</summary>
    public long MaxStaleness => Interlocked.Read(ref maxStaleness);

    /// <summary>Rank 0: the largest lead, in pushes, of a worker over the slowest when its answer was sent (at most the staleness bound).</summary>
    public long MaxClockGap => Interlocked.Read(ref maxClockGap);

    void OnGradient()
    {
        if (!SyncEnabled || inBackward) return;
        inBackward = true;
        Engine.QueueCallback(PushAndPull);
    }

    // End of backward: push the gradients (zeros for a parameter without one), wait for the server's parameters.
    void PushAndPull()
    {
        inBackward = false;
        if (finished) throw new InvalidOperationException("DistributedDataParallel: backward after the asynchronous parameter server was disposed.");
        push[0] = Version;
        for (int p = 0; p < parameters.Length; p++)
        {
            var target = push.AsSpan(offsets[p], (int)parameters[p].NumElements);
            if (parameters[p].PrivateGrad is { } grad) grad.Contiguous().Span<float>().CopyTo(target);
            else target.Clear();
        }
        fixed (float* pushData = push, pullData = pull)
        {
            nint receive = Distributed.StartRecv(library, pullData, count, DType.Float32, 0, PullTag, Op);
            nint send = Distributed.StartSend(library, pushData, count, DType.Float32, 0, PushTag, Op);
            Distributed.Wait(library, send, Op);
            // The answer may be held back by the staleness bound for a whole step of the slowest rank: poll
            // gently (back off to sleeps) rather than take the core that rank, or the server, needs.
            Distributed.Wait(library, receive, Op, hurry: static () => false);
        }

        Version = (long)pull[0];
        ParametersStale = true;
        ThrowIfServerFailed();
    }

    /// <summary>Replaces this worker's parameters with the last ones the server sent (the pull).</summary>
    public void ApplyPull()
    {
        ParametersStale = false;
        if (Version == 0) return; // nothing received yet: the parameters are the broadcast ones
        for (int p = 0; p < parameters.Length; p++)
        {
            pull.AsSpan(offsets[p], (int)parameters[p].NumElements).CopyTo(parameters[p].Span<float>());
            parameters[p].BumpVersion();
        }
    }

    /// <summary>Rank 0: copies the server's current parameters into the model's (for evaluation or a checkpoint).</summary>
    public void CopyServerParameters()
    {
        if (master is null) return;
        lock (masterLock)
            for (int p = 0; p < parameters.Length; p++)
            {
                master[p].Span<float>().CopyTo(parameters[p].Span<float>());
                parameters[p].BumpVersion();
            }
        ParametersStale = false;
    }

    void Serve()
    {
        int ranks = Distributed.WorldSize;
        var inbox = new float[ranks][];
        var outbox = new float[ranks][];
        var handles = new GCHandle[2 * ranks];
        var requests = new nint[ranks];
        var clock = new long[ranks];
        var done = new bool[ranks];
        var paused = new bool[ranks];
        var answerDue = new bool[ranks];
        int running = ranks;
        try
        {
            for (int r = 0; r < ranks; r++)
            {
                inbox[r] = GC.AllocateArray<float>(count, pinned: true);
                outbox[r] = GC.AllocateArray<float>(count, pinned: true);
                requests[r] = Receive(inbox[r], r);
            }
            long lastProgress = Stopwatch.GetTimestamp();
            var spin = new SpinWait();
            while (running > 0)
            {
                bool progressed = false;
                for (int r = 0; r < ranks; r++)
                {
                    if (done[r] || answerDue[r] || !Distributed.TestRequest(library, ref requests[r], Op)) continue;
                    progressed = true;
                    if (inbox[r][0] == FinishMark)
                    {
                        done[r] = true;
                        running--;
                        continue;
                    }
                    if (inbox[r][0] == PauseMark)
                    {
                        paused[r] = true;
                        requests[r] = Receive(inbox[r], r);
                        continue;
                    }
                    paused[r] = false;
                    Apply(inbox[r]);
                    clock[r]++;
                    answerDue[r] = true;
                }
                long slowest = long.MaxValue;
                for (int r = 0; r < ranks; r++)
                    if (!done[r] && !paused[r]) slowest = Math.Min(slowest, clock[r]);
                for (int r = 0; r < ranks; r++)
                {
                    // Stale synchronous parallel: a worker more than `staleness` pushes ahead of the slowest waits for its answer.
                    if (!answerDue[r] || clock[r] - slowest > staleness) continue;
                    progressed = true;
                    answerDue[r] = false;
                    Interlocked.Exchange(ref maxClockGap, Math.Max(maxClockGap, clock[r] - slowest));
                    Answer(outbox[r], r);
                    requests[r] = Receive(inbox[r], r);
                }
                if (progressed)
                {
                    lastProgress = Stopwatch.GetTimestamp();
                    spin.Reset();
                }
                else if (Stopwatch.GetElapsedTime(lastProgress) > Distributed.Timeout)
                {
                    throw Distributed.NoAnswer(Op);
                }
                else
                {
                    spin.SpinOnce();
                }
            }
        }
        catch (Exception error)
        {
            serverError = error;
        }
    }

    nint Receive(float[] buffer, int source)
    {
        fixed (float* data = buffer) // pinned array: the address stays valid after the fixed block
            return Distributed.StartRecv(library, data, count, DType.Float32, source, PushTag, Op);
    }

    void Answer(float[] buffer, int destination)
    {
        lock (masterLock)
        {
            buffer[0] = serverVersion;
            for (int p = 0; p < master!.Length; p++) master[p].Span<float>().CopyTo(buffer.AsSpan(offsets[p], (int)master[p].NumElements));
        }
        fixed (float* data = buffer)
        {
            nint request = Distributed.StartSend(library, data, count, DType.Float32, destination, PullTag, Op);
            Distributed.Wait(library, request, Op);
        }
    }

    // One push: its gradient becomes the master parameters' gradient, and the server optimizer steps.
    void Apply(float[] message)
    {
        long computedAt = (long)message[0];
        lock (masterLock)
        {
            Interlocked.Exchange(ref maxStaleness, Math.Max(maxStaleness, serverVersion - computedAt));
            for (int p = 0; p < master!.Length; p++)
            {
                message.AsSpan(offsets[p], (int)master[p].NumElements).CopyTo(masterGrads![p].Span<float>());
                masterGrads[p].BumpVersion();
                master[p].Grad = masterGrads[p];
            }
            using (Autograd.NoGrad()) serverOptimizer!.Step();
            Interlocked.Increment(ref serverVersion);
        }
    }

    void ThrowIfServerFailed()
    {
        if (serverError is { } error) throw new DistributedException($"{Op}: the server on rank 0 failed: {error.Message}");
    }

    /// <summary>
    /// Tells the server that this worker pushes nothing until its next backward, so that the others are not held
    /// back waiting for it (call it before a collective that all ranks must reach, such as the end of an epoch).
    /// </summary>
    public void Pause()
    {
        if (finished) return;
        SendMark(PauseMark);
    }

    void SendMark(float mark)
    {
        push[0] = mark;
        fixed (float* data = push)
        {
            nint request = Distributed.StartSend(library, data, count, DType.Float32, 0, PushTag, Op);
            Distributed.Wait(library, request, Op);
        }
    }

    /// <summary>Tells the server this worker has finished; on rank 0, waits until every worker has and the server stops.</summary>
    public void Dispose()
    {
        if (finished) return;
        finished = true;
        foreach (var hook in hooks) hook.Remove();
        SendMark(FinishMark);
        if (server is not null)
        {
            server.Join();
            ThrowIfServerFailed();
        }
    }
}
