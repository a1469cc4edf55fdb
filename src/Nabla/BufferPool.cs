namespace Nabla;

/// <summary>
/// Recycles large element arrays between tensors. A training step allocates the same buffer sizes
/// every time (activations, gradients); fresh large arrays cost page faults and zeroing each
/// step, because the garbage collector hands freed large-object memory back to the OS. Buffers
/// come back here only where the framework knows they are dead (see <see cref="Storage.Recycle"/>
/// and its callers, e.g. gradients consumed inside <c>Backward</c>); every other buffer is simply
/// left to the garbage collector, so nothing ever needs <c>Dispose</c>.
/// <para>
/// Size classes are exact element counts per dtype (a step repeats its shapes exactly, and a buffer
/// must keep the length of the tensor it backs). The pool holds at most <see cref="MaxBytes"/>;
/// past that a returned buffer is dropped and collected as usual. Thread-safe.
/// </para>
/// </summary>
internal static class BufferPool
{
    /// <summary>Smaller buffers are not pooled: gen-0 allocation is cheaper than the bookkeeping.</summary>
    public const int MinLength = 1 << 14;

    /// <summary>The most memory the pool keeps in idle buffers.</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>Whether buffers are reused (on unless <c>NABLA_BUFFER_POOL=0</c>; tests and benchmarks compare both).</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("NABLA_BUFFER_POOL") != "0";

    static readonly Dictionary<(DType, int), Stack<Array>> free = new();
    static readonly Lock gate = new();
    static long idleBytes;

    /// <summary>Buffers handed out again instead of allocated (for tests and benchmarks).</summary>
    public static long Reused { get; private set; }

    /// <summary>Bytes held in idle buffers now.</summary>
    public static long IdleBytes
    {
        get { lock (gate) return idleBytes; }
    }

    /// <summary>An idle buffer of exactly <paramref name="length"/> elements (contents undefined), or null.</summary>
    public static Array? Rent(DType dtype, int length)
    {
        if (length < MinLength || !Enabled) return null;
        lock (gate)
        {
            if (!free.TryGetValue((dtype, length), out var stack) || stack.Count == 0) return null;
            idleBytes -= (long)length * dtype.ElementSize();
            Reused++;
            return stack.Pop();
        }
    }

    /// <summary>Takes back a buffer nothing references any more.</summary>
    public static void Return(DType dtype, Array data)
    {
        int length = data.Length;
        if (length < MinLength || !Enabled) return;
        long bytes = (long)length * dtype.ElementSize();
        lock (gate)
        {
            if (idleBytes + bytes > MaxBytes) return;
            if (!free.TryGetValue((dtype, length), out var stack)) free[(dtype, length)] = stack = new Stack<Array>();
            stack.Push(data);
            idleBytes += bytes;
        }
    }

    /// <summary>Drops every idle buffer (they are then collected as usual).</summary>
    public static void Clear()
    {
        lock (gate)
        {
            free.Clear();
            idleBytes = 0;
        }
    }
}
