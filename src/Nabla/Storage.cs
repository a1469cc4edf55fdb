using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla;

/// <summary>
/// The flat buffer behind one or more tensor views. Elements are kept in an ordinary managed
/// array of the dtype's .NET type, so the garbage collector reclaims storage that no tensor
/// references: a training loop needs no <c>Dispose</c>. Large buffers that the framework knows
/// are dead go back to <see cref="BufferPool"/> for the next allocation of the same size.
/// </summary>
internal sealed class Storage
{
    /// <summary>
    /// The element array: float[], double[], long[], int[], byte[] (UInt8) or bool[] (Bool). Null
    /// after <see cref="Recycle"/>, so a (wrongly) surviving view fails loudly instead of reading a
    /// buffer that another tensor now owns.
    /// </summary>
    public Array Data;
    public readonly DType DType;

    /// <summary>The device whose backend computes on this buffer (every device today keeps its buffers in host memory).</summary>
    public readonly Device Device;

    /// <summary>Bumped by every in-place write, so autograd can tell a saved tensor was modified.</summary>
    public int Version;

    /// <summary>
    /// Someone outside the forward that made this buffer can still read it (a forward hook, a module's
    /// field, a retained gradient's tensor): <see cref="RecyclingScope"/> never recycles it.
    /// </summary>
    public bool Pinned;

    /// <summary>Allocation order: storages made after a given moment have a larger serial (autograd uses it to tell its own gradients from the user's tensors).</summary>
    public readonly long Serial;

    /// <summary>True when the buffer was allocated here (not a wrapped user array), so it may go back to <see cref="BufferPool"/>.</summary>
    readonly bool owned;

    static long lastSerial;

    Storage(Array data, DType dtype, bool owned, Device? device)
    {
        Data = data;
        DType = dtype;
        Device = device ?? Device.Default;
        this.owned = owned;
        Serial = Interlocked.Increment(ref lastSerial);
    }

    /// <summary>The serial the next storage will be above.</summary>
    public static long CurrentSerial => Interlocked.Read(ref lastSerial);

    public int Length => Data.Length;

    /// <summary>A zero-filled buffer on <paramref name="device"/> (default: <see cref="Device.Default"/>).</summary>
    public static Storage Allocate(DType dtype, int length, Device? device = null)
    {
        if (BufferPool.Rent(dtype, length) is { } recycled)
        {
            Array.Clear(recycled);
            return new(recycled, dtype, owned: true, device);
        }
        return new(dtype switch
        {
            DType.Float32 => new float[length],
            DType.Float64 => new double[length],
            DType.Int64 => new long[length],
            DType.Int32 => new int[length],
            DType.UInt8 => new byte[length],
            _ => new bool[length],
        }, dtype, owned: true, device);
    }

    /// <summary>
    /// A buffer whose contents the caller overwrites completely: skips zeroing, which matters for
    /// large kernel outputs, and reuses a recycled buffer of the same size when there is one.
    /// </summary>
    public static Storage AllocateUninitialized(DType dtype, int length, Device? device = null)
    {
        if (length < 1024) return Allocate(dtype, length, device);
        if (BufferPool.Rent(dtype, length) is { } recycled) return new(recycled, dtype, owned: true, device);
        return new(dtype switch
        {
            DType.Float32 => GC.AllocateUninitializedArray<float>(length),
            DType.Float64 => GC.AllocateUninitializedArray<double>(length),
            DType.Int64 => GC.AllocateUninitializedArray<long>(length),
            DType.Int32 => GC.AllocateUninitializedArray<int>(length),
            DType.UInt8 => GC.AllocateUninitializedArray<byte>(length),
            _ => GC.AllocateUninitializedArray<bool>(length),
        }, dtype, owned: true, device);
    }

    /// <summary>Wraps an existing array without copying (never recycled: the caller owns it).</summary>
    public static Storage Wrap<T>(T[] data, Device? device = null) => new(data, DTypes.Of<T>(), owned: false, device);

    /// <summary>
    /// Gives the buffer back to <see cref="BufferPool"/>. Only for storages that the caller knows no
    /// live tensor shares; the storage is unusable afterwards.
    /// </summary>
    public void Recycle()
    {
        if (!owned || Data is null) return;
        var data = Data;
        Data = null!;
        BufferPool.Return(DType, data);
    }

    /// <summary>The data as a typed array; <typeparamref name="T"/> must match the dtype.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T[] As<T>() => Unsafe.As<T[]>(Data);

    /// <summary>A span over the whole buffer.</summary>
    public Span<T> Span<T>() => As<T>();

    /// <summary>A reference to element 0, for kernels that work with pointers or refs.</summary>
    public ref byte ByteRef => ref MemoryMarshal.GetArrayDataReference(Data);
}
