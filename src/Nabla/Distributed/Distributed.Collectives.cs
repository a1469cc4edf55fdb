using System.Runtime.InteropServices;

namespace Nabla.Distributed;

// The collectives on tensors. Each one checks first that every rank passes the same shape and dtype
// (one small all-reduce of a fingerprint, a few microseconds), then moves the data with one
// non-blocking MPI call polled by Distributed.Wait. Buffers are the tensors' own storage, pinned
// for the call; a non-contiguous tensor goes through a contiguous copy.
public static unsafe partial class Distributed
{
    // A tensor's description: dtype, number of dims, 8 sizes (later dims folded into the 8th), and
    // one argument of the call that must agree too (the root of a broadcast, the reduce op).
    const int FingerprintLength = 11;

    /// <summary>
    /// Combines <paramref name="tensor"/> over all ranks, in place: afterwards every rank holds the
    /// element-wise sum (mean, maximum, minimum) of all ranks' tensors (<c>all_reduce</c>).
    /// </summary>
    /// <exception cref="ShapeException">The ranks passed different shapes or dtypes.</exception>
    /// <exception cref="DTypeException"><see cref="ReduceOp.Avg"/> on an integer tensor, or a sum of Bool tensors.</exception>
    /// <exception cref="DistributedException">MPI failed, or another rank did not answer within <see cref="Timeout"/>.</exception>
    public static void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var library = Library("AllReduce");
        CheckReducible("AllReduce", tensor.DType, op);
        CheckAgreement(library, "AllReduce", tensor, (long)op);
        var work = tensor.Contiguous();
        fixed (byte* data = &MemoryMarshal.GetArrayDataReference(work.storage.Data))
        {
            nint request;
            lock (mpiLock)
                Check(library, library.Iallreduce((void*)library.InPlace, Address(data, work), CountOf(work, "AllReduce"),
                    library.DataType(work.DType), MpiOp(library, op), library.CommWorld, &request), "AllReduce");
            Wait(library, request, "AllReduce");
        }
        Finish(tensor, work, op);
    }

    /// <summary>Copies <paramref name="tensor"/> of rank <paramref name="src"/> into the same tensor on every other rank (<c>broadcast</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="src"/> is not a rank.</exception>
    /// <exception cref="ShapeException">The ranks passed different shapes, dtypes or sources.</exception>
    /// <exception cref="DistributedException">MPI failed, or another rank did not answer within <see cref="Timeout"/>.</exception>
    public static void Broadcast(Tensor tensor, int src)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var library = Library("Broadcast");
        CheckRank("Broadcast", nameof(src), src);
        CheckAgreement(library, "Broadcast", tensor, src);
        BroadcastUnchecked(library, tensor, src);
    }

    /// <summary>A broadcast whose agreement the caller has established (the data-parallel wrapper's buffers, every step).</summary>
    internal static void BroadcastUnchecked(MpiLibrary library, Tensor tensor, int src)
    {
        var work = tensor.Contiguous();
        fixed (byte* data = &MemoryMarshal.GetArrayDataReference(work.storage.Data))
        {
            nint request;
            lock (mpiLock)
                Check(library, library.Ibcast(Address(data, work), CountOf(work, "Broadcast"), library.DataType(work.DType), src, library.CommWorld, &request), "Broadcast");
            Wait(library, request, "Broadcast");
        }
        Finish(tensor, work, ReduceOp.Sum);
    }

    /// <summary>
    /// Gathers every rank's <paramref name="tensor"/> into <paramref name="tensorList"/> on every rank:
    /// element <c>r</c> receives rank <c>r</c>'s tensor (<c>all_gather</c>).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="tensorList"/> does not hold <see cref="WorldSize"/> tensors of <paramref name="tensor"/>'s shape and dtype.</exception>
    /// <exception cref="ShapeException">The ranks passed different shapes or dtypes.</exception>
    /// <exception cref="DistributedException">MPI failed, or another rank did not answer within <see cref="Timeout"/>.</exception>
    public static void AllGather(IList<Tensor> tensorList, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensorList);
        ArgumentNullException.ThrowIfNull(tensor);
        var library = Library("AllGather");
        CheckList("AllGather", nameof(tensorList), tensorList, tensor);
        CheckAgreement(library, "AllGather", tensor, 0);
        var input = tensor.Contiguous();
        var gathered = Tensor.Uninitialized([worldSize, .. tensor.shape], tensor.DType, "AllGather");
        int count = CountOf(input, "AllGather");
        nint type = library.DataType(tensor.DType);
        fixed (byte* send = &MemoryMarshal.GetArrayDataReference(input.storage.Data))
        fixed (byte* receive = &MemoryMarshal.GetArrayDataReference(gathered.storage.Data))
        {
            nint request;
            lock (mpiLock)
                Check(library, library.Iallgather(Address(send, input), count, type, receive, count, type, library.CommWorld, &request), "AllGather");
            Wait(library, request, "AllGather");
        }
        for (int r = 0; r < worldSize; r++) tensorList[r].WriteFrom(gathered[r]);
    }

    /// <summary>
    /// Reduces the ranks' lists element-wise and scatters the result: rank <c>r</c>'s
    /// <paramref name="output"/> receives the reduction over ranks of <c>inputList[r]</c> (<c>reduce_scatter</c>).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="inputList"/> does not hold <see cref="WorldSize"/> tensors of <paramref name="output"/>'s shape and dtype.</exception>
    /// <exception cref="ShapeException">The ranks passed different shapes, dtypes or ops.</exception>
    /// <exception cref="DTypeException"><see cref="ReduceOp.Avg"/> on an integer tensor, or a sum of Bool tensors.</exception>
    /// <exception cref="DistributedException">MPI failed, or another rank did not answer within <see cref="Timeout"/>.</exception>
    public static void ReduceScatter(Tensor output, IList<Tensor> inputList, ReduceOp op = ReduceOp.Sum)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputList);
        var library = Library("ReduceScatter");
        CheckList("ReduceScatter", nameof(inputList), inputList, output);
        CheckReducible("ReduceScatter", output.DType, op);
        CheckAgreement(library, "ReduceScatter", output, (long)op);
        var stacked = Tensor.Stack([.. inputList]).Contiguous();
        var work = output.IsContiguous ? output : Tensor.Uninitialized(output.shape, output.DType, "ReduceScatter");
        fixed (byte* send = &MemoryMarshal.GetArrayDataReference(stacked.storage.Data))
        fixed (byte* receive = &MemoryMarshal.GetArrayDataReference(work.storage.Data))
        {
            nint request;
            lock (mpiLock)
                Check(library, library.IreduceScatterBlock(Address(send, stacked), Address(receive, work), CountOf(work, "ReduceScatter"),
                    library.DataType(output.DType), MpiOp(library, op), library.CommWorld, &request), "ReduceScatter");
            Wait(library, request, "ReduceScatter");
        }
        Finish(output, work, op);
    }

    /// <summary>
    /// Sends <paramref name="tensor"/> to rank <paramref name="dst"/>, which receives it with <see cref="Recv"/>
    /// (<c>send</c>); returns once the data has left (or is buffered).
    /// </summary>
    /// <param name="tensor">The data to send.</param>
    /// <param name="dst">The receiving rank, not this one.</param>
    /// <param name="tag">Matches a send with its receive; 0 … 16383.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dst"/> is not another rank, or the tag is out of range.</exception>
    /// <exception cref="DistributedException">MPI failed, or the receiver did not answer within <see cref="Timeout"/>.</exception>
    public static void Send(Tensor tensor, int dst, int tag = 0)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var library = Library("Send");
        CheckPeer("Send", nameof(dst), dst, tag);
        // A header first, so the receiver can check that its tensor fits before the data arrive.
        var header = Fingerprint(tensor, tag);
        var input = tensor.Contiguous();
        fixed (long* head = header)
        fixed (byte* data = &MemoryMarshal.GetArrayDataReference(input.storage.Data))
        {
            nint headRequest, dataRequest;
            lock (mpiLock)
            {
                Check(library, library.Isend(head, FingerprintLength, library.Int64, dst, 2 * tag, library.CommWorld, &headRequest), "Send");
                Check(library, library.Isend(Address(data, input), CountOf(input, "Send"), library.DataType(input.DType), dst, 2 * tag + 1, library.CommWorld, &dataRequest), "Send");
            }
            Wait(library, headRequest, "Send");
            Wait(library, dataRequest, "Send");
        }
    }

    /// <summary>
    /// Receives into <paramref name="tensor"/> what rank <paramref name="src"/> sent with <see cref="Send"/>
    /// (<c>recv</c>); returns the sender's rank.
    /// </summary>
    /// <param name="tensor">Receives the data; must have the sent tensor's shape and dtype.</param>
    /// <param name="src">The sending rank, not this one.</param>
    /// <param name="tag">The tag the sender used.</param>
    /// <exception cref="ShapeException">The sent tensor has another shape or dtype (its data are received and dropped).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="src"/> is not another rank, or the tag is out of range.</exception>
    /// <exception cref="DistributedException">MPI failed, or the sender did not answer within <see cref="Timeout"/>.</exception>
    public static int Recv(Tensor tensor, int src, int tag = 0)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var library = Library("Recv");
        CheckPeer("Recv", nameof(src), src, tag);
        var header = new long[FingerprintLength];
        fixed (long* head = header)
        {
            nint request;
            lock (mpiLock) Check(library, library.Irecv(head, FingerprintLength, library.Int64, src, 2 * tag, library.CommWorld, &request), "Recv");
            Wait(library, request, "Recv");
        }
        var expected = Fingerprint(tensor, tag);
        bool fits = header.AsSpan().SequenceEqual(expected);
        // On a mismatch the data are still received (into a tensor of the sent shape), so the sender is not left waiting.
        var work = fits ? tensor.Contiguous() : Tensor.Uninitialized(ShapeOf(header), DTypeOf(header), "Recv");
        fixed (byte* data = &MemoryMarshal.GetArrayDataReference(work.storage.Data))
        {
            nint request;
            lock (mpiLock)
                Check(library, library.Irecv(Address(data, work), CountOf(work, "Recv"), library.DataType(work.DType), src, 2 * tag + 1, library.CommWorld, &request), "Recv");
            Wait(library, request, "Recv");
        }
        if (!fits)
            throw new ShapeException($"Distributed.Recv: rank {src} sent a tensor of shape {Describe(header)}, but rank {rank} receives into {Describe(expected)}.");
        Finish(tensor, work, ReduceOp.Sum);
        return src;
    }

    static byte* Address(byte* data, Tensor tensor) => data + (long)tensor.offset * tensor.DType.ElementSize();

    static int CountOf(Tensor tensor, string op) => tensor.NumElements <= int.MaxValue ? (int)tensor.NumElements
        : throw new ShapeException($"Distributed.{op}: tensors of more than {int.MaxValue} elements are not supported, got shape {tensor.Shape}.");

    static nint MpiOp(MpiLibrary library, ReduceOp op) => op switch
    {
        ReduceOp.Max => library.OpMax,
        ReduceOp.Min => library.OpMin,
        _ => library.OpSum,
    };

    /// <summary>Writes the result back when the call worked on a copy, bumps the version, and divides for Avg.</summary>
    static void Finish(Tensor tensor, Tensor work, ReduceOp op)
    {
        if (op == ReduceOp.Avg)
            using (Autograd.NoGrad()) work.Div_(worldSize);
        if (ReferenceEquals(work, tensor)) tensor.BumpVersion();
        else tensor.WriteFrom(work);
    }

    static void CheckReducible(string op, DType dtype, ReduceOp reduce)
    {
        if (!Enum.IsDefined(reduce)) throw new ArgumentOutOfRangeException(nameof(reduce), reduce, $"Distributed.{op}: unknown ReduceOp {reduce}.");
        if (reduce == ReduceOp.Avg && !dtype.IsFloatingPoint())
            throw new DTypeException($"Distributed.{op}: ReduceOp.Avg needs a floating-point tensor, got {dtype.TorchName()}.");
        if (dtype == DType.Bool && reduce == ReduceOp.Sum)
            throw new DTypeException($"Distributed.{op}: ReduceOp.Sum of torch.bool tensors is not supported; use Max (any) or Min (all).");
    }

    static void CheckRank(string op, string argument, int value)
    {
        if (value < 0 || value >= worldSize)
            throw new ArgumentOutOfRangeException(argument, value, $"Distributed.{op}: {argument} must be a rank in 0 … {worldSize - 1}, got {value}.");
    }

    static void CheckPeer(string op, string argument, int peer, int tag)
    {
        CheckRank(op, argument, peer);
        if (peer == rank) throw new ArgumentOutOfRangeException(argument, peer, $"Distributed.{op}: {argument} must be another rank than this one ({rank}).");
        if (tag is < 0 or > 16383) throw new ArgumentOutOfRangeException(nameof(tag), tag, $"Distributed.{op}: tag must be in 0 … 16383, got {tag}.");
    }

    static void CheckList(string op, string argument, IList<Tensor> list, Tensor like)
    {
        if (list.Count != worldSize)
            throw new ArgumentException($"Distributed.{op}: {argument} must hold one tensor per rank ({worldSize}), got {list.Count}.", argument);
        for (int r = 0; r < list.Count; r++)
            if (list[r] is not { } item || !item.Shape.Equals(like.Shape) || item.DType != like.DType)
                throw new ShapeException($"Distributed.{op}: {argument}[{r}] must have shape {like.Shape} and dtype {like.DType.TorchName()}, " +
                    $"got {(list[r] is { } t ? $"{t.Shape} {t.DType.TorchName()}" : "null")}.");
    }

    static long[] Fingerprint(Tensor tensor, long argument)
    {
        var print = new long[FingerprintLength];
        print[0] = (long)tensor.DType + 1;
        print[1] = tensor.Rank;
        for (int d = 0; d < tensor.Rank; d++)
            if (d < 8) print[2 + d] = tensor.shape[d];
            else print[9] *= tensor.shape[d];
        print[10] = argument;
        return print;
    }

    static int[] ShapeOf(long[] print)
    {
        int dims = (int)print[1];
        // Dims past the 8th were folded into the 8th: keep the element count, which is what is received.
        var shape = new int[Math.Min(dims, 8)];
        for (int d = 0; d < shape.Length; d++) shape[d] = (int)print[2 + d];
        return shape;
    }

    static DType DTypeOf(long[] print) => (DType)(print[0] - 1);

    static string Describe(long[] print)
    {
        var dims = ShapeOf(print);
        string folded = print[1] > 8 ? " (dims past the 8th multiplied into it)" : "";
        return $"[{string.Join(", ", dims)}]{folded} {DTypeOf(print).TorchName()}";
    }

    /// <summary>
    /// Raises the same <see cref="ShapeException"/> on every rank when the ranks' tensors (or the call's
    /// argument) differ: an all-reduce of the fingerprint and its negation with MAX gives each entry's
    /// maximum and minimum, which are equal everywhere only if all ranks agree.
    /// </summary>
    static void CheckAgreement(MpiLibrary library, string op, Tensor tensor, long argument)
    {
        if (worldSize == 1) return;
        var print = Fingerprint(tensor, argument);
        var both = new long[2 * FingerprintLength];
        for (int i = 0; i < FingerprintLength; i++) (both[i], both[FingerprintLength + i]) = (print[i], -print[i]);
        fixed (long* values = both)
        {
            nint request;
            lock (mpiLock)
                Check(library, library.Iallreduce((void*)library.InPlace, values, both.Length, library.Int64, library.OpMax, library.CommWorld, &request), op);
            Wait(library, request, op);
        }
        bool agree = true;
        for (int i = 0; i < FingerprintLength; i++) agree &= both[i] == -both[FingerprintLength + i];
        if (agree) return;
        // Everyone gathers everyone's fingerprint, to name each rank's tensor in the message.
        var all = new long[worldSize * FingerprintLength];
        fixed (long* send = print, receive = all)
        {
            nint request;
            lock (mpiLock)
                Check(library, library.Iallgather(send, FingerprintLength, library.Int64, receive, FingerprintLength, library.Int64, library.CommWorld, &request), op);
            Wait(library, request, op);
        }
        var parts = new List<string>();
        for (int r = 0; r < worldSize; r++)
        {
            var other = all.AsSpan(r * FingerprintLength, FingerprintLength).ToArray();
            string extra = op switch { "Broadcast" => $", src {other[10]}", "AllReduce" or "ReduceScatter" => $", {(ReduceOp)other[10]}", _ => "" };
            parts.Add($"rank {r}: {Describe(other)}{extra}");
        }
        throw new ShapeException($"Distributed.{op}: the ranks disagree on the tensor or the call ({string.Join("; ", parts)}).");
    }
}
