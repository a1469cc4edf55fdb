using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Nabla.NN;

namespace Nabla.Distributed;

/// <summary>
/// Averages the gradients of a set of parameters over all ranks while backward runs (PyTorch's
/// <c>Reducer</c>). The parameters are grouped into buckets of about <c>bucketBytes</c>, in reverse
/// registration order, which is roughly the order in which backward completes their gradients. A
/// post-accumulate-grad hook copies each finished gradient into its bucket; a full bucket is handed to
/// a communication thread that all-reduces it while backward goes on with the layers below. At the
/// end of backward (an engine callback) the remaining buckets are sent, all are awaited, and the
/// averages are written back into the gradients.
/// </summary>
/// <remarks>
/// Every rank sends the buckets in the same order (bucket 0, 1, …), whatever order its gradients
/// arrive in: MPI matches collectives by order. A parameter that got no gradient on this rank (unused
/// in this forward) contributes zeros and receives the average of the others.
/// </remarks>
internal sealed unsafe class GradientReducer : IDisposable
{
    sealed class Bucket(DType dtype, int length)
    {
        public readonly DType DType = dtype;
        // Pinned (on the pinned-object heap): MPI reads and writes it while the GC may run.
        public readonly Array Buffer = dtype == DType.Float64 ? GC.AllocateArray<double>(length, pinned: true) : GC.AllocateArray<float>(length, pinned: true);
        public readonly int Length = length;
        public readonly List<int> Members = [];
        public int Pending;
        public bool Launched;
        public readonly ManualResetEventSlim Done = new(false);
        public Exception? Error;

        public void* Pointer => (void*)Marshal.UnsafeAddrOfPinnedArrayElement(Buffer, 0);
    }

    readonly MpiLibrary library;
    readonly GradientSync sync;
    readonly Parameter[] parameters;
    readonly int[] bucketOf, offsetOf;
    readonly bool[] ready;
    readonly Bucket[] buckets;
    readonly RemovableHandle[] hooks;
    readonly BlockingCollection<Bucket> queue = new();
    readonly Thread communicator;
    int nextLaunch, queued;
    // Buckets whose all-reduce the communication thread has started (MPI must see the same order of calls on every rank).
    volatile int started;
    bool inBackward;
    volatile bool finishing;

    /// <summary>Whether backward passes start the all-reduce (false inside <c>NoSync</c>: gradients only accumulate).</summary>
    public bool SyncEnabled { get; set; } = true;

    /// <summary>The factor of this rank's gradient in the sum over ranks (1 / world size: the average).</summary>
    public double Weight { get; set; } = 1.0 / Distributed.WorldSize;

    /// <summary>With a parameter server: set by each reduction, until the workers pull the server's parameters.</summary>
    public bool ParametersStale { get; set; }

    /// <summary>The number of buckets (for tests and the bench's report).</summary>
    public int BucketCount => buckets.Length;

    /// <summary>Bytes all-reduced per synchronised backward.</summary>
    public long BytesPerStep { get; }

    public GradientReducer(MpiLibrary library, IReadOnlyList<Parameter> parameters, long bucketBytes, GradientSync sync)
    {
        this.library = library;
        this.sync = sync;
        this.parameters = [.. parameters];
        bucketOf = new int[parameters.Count];
        offsetOf = new int[parameters.Count];
        ready = new bool[parameters.Count];
        var list = new List<Bucket>();
        var members = new List<int>();
        long bytes = 0;
        DType? dtype = null;
        void Close()
        {
            if (members.Count == 0) return;
            int length = 0;
            foreach (var p in members) length += (int)this.parameters[p].NumElements;
            var bucket = new Bucket(dtype!.Value, length);
            int offset = 0;
            foreach (var p in members)
            {
                (bucketOf[p], offsetOf[p]) = (list.Count, offset);
                offset += (int)this.parameters[p].NumElements;
                bucket.Members.Add(p);
            }
            list.Add(bucket);
            members.Clear();
            bytes = 0;
        }
        for (int p = parameters.Count - 1; p >= 0; p--)
        {
            var parameter = parameters[p];
            if (!parameter.DType.IsFloatingPoint())
                throw new DTypeException($"DistributedDataParallel: parameter {p} is {parameter.DType.TorchName()}; only floating-point parameters have gradients to reduce.");
            long size = parameter.NumElements * parameter.DType.ElementSize();
            if (members.Count > 0 && (parameter.DType != dtype || bytes + size > bucketBytes)) Close();
            dtype = parameter.DType;
            members.Add(p);
            bytes += size;
            BytesPerStep += size;
        }
        Close();
        buckets = [.. list];
        Start();
        hooks = new RemovableHandle[parameters.Count];
        for (int p = 0; p < parameters.Count; p++)
        {
            int index = p;
            hooks[p] = parameters[p].RegisterPostAccumulateGradHook(_ => OnGradient(index));
        }
        communicator = new Thread(Communicate) { IsBackground = true, Name = "Nabla.Distributed gradient all-reduce" };
        communicator.Start();
    }

    void OnGradient(int index)
    {
        if (!SyncEnabled) return;
        if (!inBackward)
        {
            inBackward = true;
            Engine.QueueCallback(Finish);
        }
        if (ready[index]) return; // a second accumulation in the same backward: the bucket already went
        ready[index] = true;
        var bucket = buckets[bucketOf[index]];
        CopyIn(index, bucket);
        if (--bucket.Pending == 0) LaunchReady();
    }

    void Start()
    {
        foreach (var bucket in buckets)
        {
            bucket.Pending = bucket.Members.Count;
            bucket.Launched = false;
            bucket.Error = null;
            bucket.Done.Reset();
        }
        Array.Clear(ready);
        nextLaunch = 0;
        queued = 0;
        started = 0;
    }

    /// <summary>
    /// Hands to the communication thread, in bucket order, every bucket whose gradients are all in and whose
    /// predecessors have gone, except the last bucket: it is complete only when backward ends, and then the
    /// training thread, which waits anyway, sends it itself (a hand-over to another thread and back costs a
    /// wake-up each, milliseconds on a busy machine; the only bucket of a small model never pays them).
    /// </summary>
    void LaunchReady()
    {
        while (nextLaunch < buckets.Length - 1 && buckets[nextLaunch].Pending == 0)
        {
            var bucket = buckets[nextLaunch++];
            bucket.Launched = true;
            queued++;
            queue.Add(bucket);
        }
    }

    /// <summary>End of backward: sends what is left (unused parameters as zeros), waits for all, writes the averages back.</summary>
    void Finish()
    {
        inBackward = false;
        finishing = true;
        try
        {
            for (int p = 0; p < parameters.Length; p++)
                if (!ready[p])
                {
                    ready[p] = true;
                    var bucket = buckets[bucketOf[p]];
                    CopyIn(p, bucket);
                    bucket.Pending--;
                }
            LaunchReady();
            // The buckets left are sent from here, after those the communication thread has (same order on every rank).
            var spin = new SpinWait();
            while (started < queued) spin.SpinOnce(sleep1Threshold: -1);
            var own = new List<(Bucket Bucket, nint Request)>();
            for (; nextLaunch < buckets.Length; nextLaunch++) own.Add((buckets[nextLaunch], Start(buckets[nextLaunch])));
            foreach (var (_, request) in own) Distributed.Wait(library, request, "DistributedDataParallel");
            foreach (var bucket in buckets)
            {
                if (!bucket.Launched) continue;
                bucket.Done.Wait();
                if (bucket.Error is { } error) throw new DistributedException($"DistributedDataParallel: the gradient all-reduce failed: {error.Message}");
            }
            // With a parameter server only the server (rank 0) received the sum; the workers keep their own gradients.
            ParametersStale = sync == GradientSync.ParameterServer;
            if (sync == GradientSync.ParameterServer && Distributed.Rank != 0) return;
            for (int p = 0; p < parameters.Length; p++) CopyOut(p, buckets[bucketOf[p]]);
        }
        finally
        {
            finishing = false;
            Start();
        }
    }

    void CopyIn(int index, Bucket bucket)
    {
        var parameter = parameters[index];
        int count = (int)parameter.NumElements, offset = offsetOf[index];
        if (parameter.PrivateGrad is not { } grad)
        {
            if (bucket.DType == DType.Float64) ((double[])bucket.Buffer).AsSpan(offset, count).Clear();
            else ((float[])bucket.Buffer).AsSpan(offset, count).Clear();
            return;
        }
        var source = grad.DType == bucket.DType ? grad.Contiguous() : grad.To(bucket.DType);
        // Each rank adds its weighted gradient: Σ_r w_r·g_r, the average when w_r = 1/N.
        if (bucket.DType == DType.Float64) TensorPrimitives.Multiply(source.Span<double>(), Weight, ((double[])bucket.Buffer).AsSpan(offset, count));
        else TensorPrimitives.Multiply(source.Span<float>(), (float)Weight, ((float[])bucket.Buffer).AsSpan(offset, count));
    }

    void CopyOut(int index, Bucket bucket)
    {
        var parameter = parameters[index];
        int count = (int)parameter.NumElements, offset = offsetOf[index];
        if (parameter.PrivateGrad is not { } grad || !grad.IsContiguous || grad.DType != bucket.DType)
        {
            // No gradient here (or an odd one): the average becomes a new gradient.
            var fresh = Tensor.Uninitialized(parameter.shape, bucket.DType, "DistributedDataParallel");
            CopyOut(bucket, offset, count, fresh);
            if (parameter.PrivateGrad is { } odd) odd.WriteFrom(fresh);
            else parameter.SetPrivateGrad(fresh);
            return;
        }
        CopyOut(bucket, offset, count, grad);
        grad.BumpVersion();
    }

    static void CopyOut(Bucket bucket, int offset, int count, Tensor destination)
    {
        if (bucket.DType == DType.Float64) ((double[])bucket.Buffer).AsSpan(offset, count).CopyTo(destination.Span<double>());
        else ((float[])bucket.Buffer).AsSpan(offset, count).CopyTo(destination.Span<float>());
    }

    nint Start(Bucket bucket) => sync == GradientSync.AllReduce
        ? Distributed.StartAllReduceSum(library, bucket.Pointer, bucket.Length, bucket.DType, "DistributedDataParallel")
        : Distributed.StartReduceSumToRoot(library, bucket.Pointer, bucket.Length, bucket.DType, "DistributedDataParallel");

    void Communicate()
    {
        foreach (var bucket in queue.GetConsumingEnumerable())
        {
            try
            {
                nint request;
                try
                {
                    request = Start(bucket);
                }
                finally
                {
                    started++;
                }
                // While backward still computes, poll gently (this thread shares the core with it); once
                // the training thread waits for the result, poll at full speed.
                Distributed.Wait(library, request, "DistributedDataParallel", () => finishing);
            }
            catch (Exception error)
            {
                bucket.Error = error;
            }
            bucket.Done.Set();
        }
    }

    public void Dispose()
    {
        foreach (var hook in hooks) hook.Remove();
        queue.CompleteAdding();
        communicator.Join();
        foreach (var bucket in buckets) bucket.Done.Dispose();
        queue.Dispose();
    }
}
