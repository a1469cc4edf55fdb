using System.Diagnostics;

namespace Nabla.Distributed;

/// <summary>
/// The default process group (<c>torch.distributed</c>): the processes started together by an MPI
/// launcher (<c>mpirun -np N</c>), each with its <see cref="Rank"/> among <see cref="WorldSize"/>,
/// and the collectives on tensors between them. MPI (MPICH or Open MPI) is loaded at run time; see
/// <see cref="Init"/>.
/// </summary>
/// <remarks>
/// Every collective must be called by every rank, in the same order, with tensors of the same shape
/// and dtype (checked: a disagreement raises a <see cref="ShapeException"/> on every rank, naming
/// each rank's shape). A rank waiting for a peer that never comes (it died, or went down another
/// code path) raises a <see cref="DistributedException"/> after <see cref="Timeout"/>, rather than
/// hang; MPI launchers usually end the whole job first, as soon as one process dies.
/// </remarks>
public static unsafe partial class Distributed
{
    static MpiLibrary? mpi;
    static int rank, worldSize;
    static bool broken, finalized;
    // Every MPI call goes through this lock, so that the gradient reducer's thread and the training
    // thread never call MPI at the same time (correct whatever thread level the library provides).
    static readonly Lock mpiLock = new();

    /// <summary>Whether <see cref="Init"/> has run and <see cref="DestroyProcessGroup"/> has not (<c>is_initialized</c>).</summary>
    public static bool IsInitialized => mpi != null && !finalized;

    /// <summary>
    /// How long a collective waits for the other ranks before it raises a <see cref="DistributedException"/>
    /// (PyTorch's <c>timeout</c>, 30 minutes by default). A first collective also waits for the slowest
    /// rank to start, so keep it well above the start-up and the longest step.
    /// </summary>
    public static TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>This process's index in the group, 0 … <see cref="WorldSize"/> − 1 (<c>get_rank</c>).</summary>
    /// <exception cref="InvalidOperationException">The group is not initialised.</exception>
    public static int Rank => IsInitialized ? rank : throw NotInitialized("Rank");

    /// <summary>The number of processes in the group (<c>get_world_size</c>).</summary>
    /// <exception cref="InvalidOperationException">The group is not initialised.</exception>
    public static int WorldSize => IsInitialized ? worldSize : throw NotInitialized("WorldSize");

    /// <summary>The MPI library in use (its file name), once initialised.</summary>
    public static string? Backend => mpi?.Path;

    /// <summary>
    /// Sets up the default process group (<c>init_process_group</c>): loads MPI, initialises it
    /// (thread level MULTIPLE, so the gradient reducer's thread may communicate), and reads this
    /// process's rank and the group's size from the launcher. Started without a launcher, the
    /// process is a group of one. At process exit the group is finalised, or the job aborted when a
    /// collective failed.
    /// </summary>
    /// <param name="timeout">Sets <see cref="Timeout"/>; unchanged when null.</param>
    /// <exception cref="DistributedException">No MPI library is installed (the message names the package), or MPI fails to start.</exception>
    /// <exception cref="InvalidOperationException">The group is already initialised.</exception>
    public static void Init(TimeSpan? timeout = null)
    {
        if (mpi != null) throw new InvalidOperationException("Distributed.Init: the default process group is already initialised (call DestroyProcessGroup first).");
        if (timeout is { } t)
        {
            if (t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), t, "Distributed.Init: the timeout must be positive.");
            Timeout = t;
        }
        var library = MpiLibrary.Load();
        int initialized = 0, provided = 0, size = 0, me = 0;
        Check(library, library.Initialized(&initialized), "Init");
        if (initialized == 0) Check(library, library.InitThread(0, 0, MpiLibrary.ThreadMultiple, &provided), "Init");
        // Errors come back as codes (raised as exceptions) instead of ending the process.
        Check(library, library.CommSetErrhandler(library.CommWorld, library.ErrorsReturn), "Init");
        Check(library, library.CommRank(library.CommWorld, &me), "Init");
        Check(library, library.CommSize(library.CommWorld, &size), "Init");
        if (MpiLibrary.LauncherWorldSize() is { } launched && launched != size)
            throw new DistributedException(
                $"Distributed.Init: the launcher started {launched} processes but {library.Path} sees a world of {size}: the launcher (mpirun) and the library " +
                "belong to different MPI installations; use the launcher of the same MPI (mpiexec.mpich for MPICH, mpirun.openmpi for Open MPI) or set NABLA_MPI_LIBRARY.");
        (mpi, rank, worldSize, broken, finalized) = (library, me, size, false, false);
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>
    /// Finalises MPI (<c>destroy_process_group</c>). Every rank must call it; it is called at
    /// process exit otherwise. MPI cannot be initialised again in the same process afterwards.
    /// </summary>
    public static void DestroyProcessGroup()
    {
        if (mpi is not { } library || finalized) return;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        finalized = true;
        lock (mpiLock) library.Finalize();
    }

    /// <summary>
    /// Ends every process of the job with <paramref name="errorCode"/> (<c>MPI_Abort</c>): what a rank
    /// that cannot go on should do, since the others would otherwise wait for it in their next collective.
    /// </summary>
    public static void Abort(int errorCode = 1)
    {
        if (mpi is { } library && !finalized)
        {
            finalized = true;
            library.Abort(library.CommWorld, errorCode);
        }
        Environment.Exit(errorCode);
    }

    static void OnProcessExit(object? sender, EventArgs e)
    {
        if (mpi is not { } library || finalized) return;
        finalized = true;
        // After a failed collective a peer may never come to MPI_Finalize, which waits for everyone.
        if (broken || Environment.ExitCode != 0) library.Abort(library.CommWorld, Environment.ExitCode != 0 ? Environment.ExitCode : 1);
        else library.Finalize();
    }

    /// <summary>Waits until every rank has called it (<c>barrier</c>).</summary>
    public static void Barrier()
    {
        var library = Library("Barrier");
        nint request = 0;
        lock (mpiLock) Check(library, library.Ibarrier(library.CommWorld, &request), "Barrier");
        Wait(library, request, "Barrier");
    }

    static InvalidOperationException NotInitialized(string op) =>
        new($"Distributed.{op}: the default process group is not initialised; call Distributed.Init() first.");

    internal static MpiLibrary Library(string op)
    {
        if (mpi is null || finalized) throw NotInitialized(op);
        if (broken) throw new DistributedException($"Distributed.{op}: an earlier collective failed; the process group is unusable.");
        return mpi;
    }

    /// <summary>
    /// Polls a non-blocking request until it completes. Polling from the waiting thread is also what
    /// makes the operation progress (MPI moves data only inside its calls), and it lets the wait end
    /// with an error after <see cref="Timeout"/> instead of hanging when a peer is gone.
    /// </summary>
    /// <param name="library">The MPI library.</param>
    /// <param name="request">The request to complete.</param>
    /// <param name="op">The public operation, for messages.</param>
    /// <param name="hurry">When given and false, the poll backs off to short sleeps (a background thread overlapping work that needs the core).</param>
    internal static void Wait(MpiLibrary library, nint request, string op, Func<bool>? hurry = null)
    {
        long start = Stopwatch.GetTimestamp();
        var spin = new SpinWait();
        while (true)
        {
            int done = 0, code;
            lock (mpiLock) code = library.Test(&request, &done, library.StatusIgnore);
            Check(library, code, op);
            if (done != 0) return;
            if (Stopwatch.GetElapsedTime(start) > Timeout)
            {
                broken = true;
                throw new DistributedException(
                    $"Distributed.{op}: rank {rank} of {worldSize} got no answer from the other ranks within {Timeout}; " +
                    "a rank may have died or be waiting in a different collective.");
            }
            // Spins, then yields the core; sleeps a whole millisecond (which would add to every step) only when nobody waits
            // for the result. Polling must go on without pause while a message moves: MPI copies a large message through
            // shared memory a slice per call (tried: a 1 ms sleep between polls after 2 ms of waiting; see the commit).
            if (hurry is null || hurry()) spin.SpinOnce(sleep1Threshold: -1);
            else spin.SpinOnce();
        }
    }

    internal static void Check(MpiLibrary library, int code, string op)
    {
        if (code == MpiLibrary.Success) return;
        broken = true;
        throw new DistributedException($"Distributed.{op}: MPI failed on rank {rank}: {library.Describe(code)} (code {code}).");
    }

    /// <summary>Starts a sum of <paramref name="count"/> elements at <paramref name="data"/> onto rank 0, in place there, unchecked: the parameter server's gradient push.</summary>
    internal static nint StartReduceSumToRoot(MpiLibrary library, void* data, int count, DType dtype, string op)
    {
        nint request;
        void* send = rank == 0 ? (void*)library.InPlace : data;
        lock (mpiLock)
            Check(library, library.Ireduce(send, data, count, library.DataType(dtype), library.OpSum, 0, library.CommWorld, &request), op);
        return request;
    }

    /// <summary>Starts sending <paramref name="count"/> elements at <paramref name="data"/> to <paramref name="destination"/>, unchecked (no header): the asynchronous parameter server's messages.</summary>
    internal static nint StartSend(MpiLibrary library, void* data, int count, DType dtype, int destination, int tag, string op)
    {
        nint request;
        lock (mpiLock)
            Check(library, library.Isend(data, count, library.DataType(dtype), destination, tag, library.CommWorld, &request), op);
        return request;
    }

    /// <summary>Starts receiving <paramref name="count"/> elements from <paramref name="source"/> into <paramref name="data"/>, unchecked.</summary>
    internal static nint StartRecv(MpiLibrary library, void* data, int count, DType dtype, int source, int tag, string op)
    {
        nint request;
        lock (mpiLock)
            Check(library, library.Irecv(data, count, library.DataType(dtype), source, tag, library.CommWorld, &request), op);
        return request;
    }

    /// <summary>Whether a non-blocking request has completed (one poll; MPI frees a completed request and sets it to null).</summary>
    internal static bool TestRequest(MpiLibrary library, ref nint request, string op)
    {
        int done = 0, code;
        fixed (nint* handle = &request)
            lock (mpiLock) code = library.Test(handle, &done, library.StatusIgnore);
        Check(library, code, op);
        return done != 0;
    }

    /// <summary>Marks the group unusable and makes the error for a peer that stopped answering.</summary>
    internal static DistributedException NoAnswer(string op)
    {
        broken = true;
        return new DistributedException(
            $"Distributed.{op}: rank {rank} of {worldSize} got no answer from the other ranks within {Timeout}; a rank may have died or be waiting in a different collective.");
    }

    /// <summary>Starts an in-place all-reduce (sum) of <paramref name="count"/> elements at <paramref name="data"/>, unchecked: the gradient reducer's buckets.</summary>
    internal static nint StartAllReduceSum(MpiLibrary library, void* data, int count, DType dtype, string op)
    {
        nint request;
        lock (mpiLock)
            Check(library, library.Iallreduce((void*)library.InPlace, data, count, library.DataType(dtype), library.OpSum, library.CommWorld, &request), op);
        return request;
    }
}
