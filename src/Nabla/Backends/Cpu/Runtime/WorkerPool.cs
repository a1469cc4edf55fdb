using System.Runtime.ExceptionServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The one worker pool every CPU kernel shares: <see cref="ThreadCount"/> − 1 dedicated background threads,
/// plus the calling thread, which always takes part (index 0). Sized to the cores; <c>NABLA_NUM_THREADS</c>
/// overrides. A call hands each participant one index instead of queueing a task per tile, so a parallel
/// region costs one wake-up per worker. Only one region runs at a time: a nested call (from inside a
/// region) or a call that finds the pool busy runs on the calling thread alone.
/// </summary>
/// <remarks>
/// Two kinds of region. <see cref="TryRun"/> promises every participant its own thread, at the same time,
/// so they may wait for each other. <see cref="Share"/> is for work handed out by ticket, which any
/// participant can finish alone: there the workers are optional helpers, and a worker that has not started
/// by the time the caller has finished everything is simply cancelled. On a machine shared with other
/// processes a woken worker can wait milliseconds for a core; the caller then does not wait for it.
/// </remarks>
internal static class WorkerPool
{
    // Idle workers wait this long before they block (pausing for the first 50 µs, then yielding their core
    // between checks), so that the kernels of a training step find them awake even with a loss, a softmax
    // or an optimizer step between two GEMMs; beyond it they sleep and cost nothing. A blocked worker takes
    // tens of microseconds to wake, as long as a whole 64×64 product, and on a busy machine milliseconds
    // (bench mlp, interleaved runs against a shorter spin; figures in bench/README.md).
    private const long IdleSpinMicroseconds = 1000;

    // The caller waits for the workers' last chunks this long before it blocks.
    private const long FinishSpinMicroseconds = 2000;

    // Static initializers run in text order: the count comes first, the workers are created from it.

    /// <summary>How many threads a parallel region uses at most (the calling thread included).</summary>
    public static int ThreadCount { get; } = ReadThreadCount();

    private static readonly object RegionGate = new();
    private static readonly Worker[] Workers = CreateWorkers(ThreadCount);
    private static readonly ManualResetEventSlim RegionDone = new(false, 1);

    [ThreadStatic]
    private static bool insideRegion;

    private static Action<int>? regionBody;
    private static int pendingWorkers;
    private static Exception? firstError;

    /// <summary>
    /// Runs <paramref name="body"/>(begin, end) over [0, <paramref name="count"/>) split into at most
    /// <see cref="ThreadCount"/> contiguous chunks of at least <paramref name="minChunk"/> items; runs inline
    /// when count &lt; 2·minChunk or ThreadCount == 1. Exceptions in workers propagate to the caller.
    /// Safe to call re-entrantly (a nested call runs inline).
    /// </summary>
    public static void For(int count, int minChunk, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        For(count, minChunk, body, static (body, begin, end) => body(begin, end));
    }

    /// <summary>
    /// <see cref="For(int, int, Action{int, int})"/> without an allocation: <paramref name="body"/> should be a static lambda
    /// (the compiler caches it) that gets what it needs from <paramref name="state"/> instead of capturing locals, so a
    /// steady-state kernel (a compiled graph's call) allocates nothing. The chunk counter and the state live in static
    /// fields, which only the thread that holds the region writes.
    /// </summary>
    public static void For<TState>(int count, int minChunk, TState state, ChunkBody<TState> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0)
        {
            return;
        }

        minChunk = Math.Max(1, minChunk);
        int chunks = Math.Min(ThreadCount, count / minChunk);
        if (chunks < 2 || insideRegion || !Monitor.TryEnter(RegionGate))
        {
            body(state, 0, count);
            return;
        }

        try
        {
            // Chunk c covers [c·count/chunks, (c+1)·count/chunks): sizes differ by at most one item. Chunks go
            // by ticket, so whichever participants are running take them all.
            ChunkRegion<TState>.State = state;
            ChunkRegion<TState>.Body = body;
            ChunkRegion<TState>.Count = count;
            ChunkRegion<TState>.Chunks = chunks;
            ChunkRegion<TState>.NextChunk = 0;
            RunRegion(chunks, ChunkRegion<TState>.TakeChunks, helpersOptional: true); // the gate is re-entrant: this thread holds it
        }
        finally
        {
            ChunkRegion<TState>.State = default!;
            ChunkRegion<TState>.Body = null;
            Monitor.Exit(RegionGate);
        }
    }

    /// <summary>A chunk of a <see cref="For{TState}"/>: body(state, begin, end).</summary>
    public delegate void ChunkBody<TState>(TState state, int begin, int end);

    /// <summary>The region of a <see cref="For{TState}"/> in progress, one per state type, written only under the region gate.</summary>
    private static class ChunkRegion<TState>
    {
        public static TState State = default!;
        public static ChunkBody<TState>? Body;
        public static int Count;
        public static int Chunks;
        public static int NextChunk;

        /// <summary>Made once per state type, so opening a region allocates no delegate.</summary>
        public static readonly Action<int> TakeChunks = static _ =>
        {
            int count = Count, chunks = Chunks;
            var body = Body!;
            var state = State;
            for (int chunk = Interlocked.Increment(ref NextChunk) - 1; chunk < chunks; chunk = Interlocked.Increment(ref NextChunk) - 1)
            {
                body(state, (int)((long)chunk * count / chunks), (int)((long)(chunk + 1) * count / chunks));
            }
        };
    }

    /// <summary>
    /// Runs <paramref name="body"/>(index) for index in [0, <paramref name="participants"/>), each index on its
    /// own thread and all of them at the same time (index 0 on the caller), so participants may wait for
    /// each other (see <see cref="SpinBarrier"/>). Returns false, having run nothing, when that cannot be
    /// promised: more participants than threads, a nested call, or another region in progress.
    /// The first exception thrown by any participant is rethrown once all have finished.
    /// </summary>
    public static bool TryRun(int participants, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (participants == 1)
        {
            body(0);
            return true;
        }

        return participants >= 1 && participants <= ThreadCount && RunRegion(participants, body, helpersOptional: false);
    }

    /// <summary>
    /// Runs <paramref name="body"/>(index) on the caller (index 0) and on up to <paramref name="participants"/> − 1
    /// workers as helpers, for work that participants take by ticket until none is left: a helper may run
    /// late, or not at all when the caller finished everything first, and in a nested call or while the pool
    /// is busy the caller runs alone. Participants must never wait for each other, only for work in
    /// progress. The first exception thrown by any participant is rethrown once all have finished.
    /// </summary>
    public static void Share(int participants, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        participants = Math.Min(participants, ThreadCount);
        if (participants <= 1 || !RunRegion(participants, body, helpersOptional: true))
        {
            body(0);
        }
    }

    private static bool RunRegion(int participants, Action<int> body, bool helpersOptional)
    {
        if (insideRegion || !Monitor.TryEnter(RegionGate))
        {
            return false;
        }

        try
        {
            insideRegion = true;
            regionBody = body;
            firstError = null;
            RegionDone.Reset();
            Volatile.Write(ref pendingWorkers, participants - 1);
            for (int w = 0; w < participants - 1; w++)
            {
                Workers[w].Wake();
            }

            RunParticipant(body, 0);
            if (helpersOptional)
            {
                for (int w = 0; w < participants - 1; w++)
                {
                    if (Workers[w].TryCancel())
                    {
                        WorkerFinished();
                    }
                }
            }

            if (!Spinning.UntilEqual(ref pendingWorkers, 0, FinishSpinMicroseconds))
            {
                RegionDone.Wait();
            }

            regionBody = null;
            if (firstError is { } error)
            {
                ExceptionDispatchInfo.Capture(error).Throw();
            }

            return true;
        }
        finally
        {
            insideRegion = false;
            Monitor.Exit(RegionGate);
        }
    }

    private static void RunParticipant(Action<int> body, int index)
    {
        try
        {
            body(index);
        }
        catch (Exception error)
        {
            Interlocked.CompareExchange(ref firstError, error, null);
        }
    }

    private static void WorkerFinished()
    {
        if (Interlocked.Decrement(ref pendingWorkers) == 0)
        {
            RegionDone.Set();
        }
    }

    private static int ReadThreadCount()
    {
        string? text = Environment.GetEnvironmentVariable("NABLA_NUM_THREADS");
        return int.TryParse(text, out int threads) && threads >= 1 ? threads : Math.Max(1, Environment.ProcessorCount);
    }

    private static Worker[] CreateWorkers(int threadCount)
    {
        var workers = new Worker[threadCount - 1];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = new Worker(w + 1);
        }

        return workers;
    }

    /// <summary>A dedicated thread that runs participant <c>index</c> of each region it is woken for.</summary>
    private sealed class Worker
    {
        private const int Idle = 0;
        private const int Called = 1;
        private const int Started = 2;

        private readonly ManualResetEventSlim wakeUp = new(false, 1);
        private readonly int index;
        private int generation;
        private int state;

        public Worker(int index)
        {
            this.index = index;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Nabla worker {index}" };
            thread.Start();
        }

        /// <summary>Calls the worker into the region just set up: a spinning worker sees the new generation, a blocked one the event.</summary>
        public void Wake()
        {
            Volatile.Write(ref state, Called);
            Interlocked.Increment(ref generation);
            wakeUp.Set();
        }

        /// <summary>Withdraws the call if the worker has not started on it yet; true if withdrawn.</summary>
        public bool TryCancel() => Interlocked.CompareExchange(ref state, Idle, Called) == Called;

        private void Loop()
        {
            insideRegion = true; // a kernel called from a worker never opens a region of its own
            int seen = 0;
            while (true)
            {
                if (!Spinning.UntilChanged(ref generation, seen, IdleSpinMicroseconds))
                {
                    // Reset before re-checking: a Wake after the check finds the event reset and sets it again.
                    wakeUp.Wait();
                    wakeUp.Reset();
                    continue;
                }

                seen = Volatile.Read(ref generation);

                // Claim the call; if the caller withdrew it (it finished without us), it has counted us out.
                if (Interlocked.CompareExchange(ref state, Started, Called) != Called)
                {
                    continue;
                }

                RunParticipant(regionBody!, index);
                Volatile.Write(ref state, Idle);
                WorkerFinished();
            }
        }
    }
}
