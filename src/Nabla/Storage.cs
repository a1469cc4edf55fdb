using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla;

/// <summary>
/// The flat buffer behind one or more tensor views. Elements are kept in an ordinary managed
/// array of the dtype's .NET type, so the garbage collector reclaims storage that no tensor
/// references: a training loop needs no <c>Dispose</c>.
/// </summary>
internal sealed class Storage
{
    /// <summary>The element array: float[], double[], long[], int[], byte[] (UInt8) or bool[] (Bool).</summary>
    public readonly Array Data;
    public readonly DType DType;

    /// <summary>Bumped by every in-place write, so autograd can tell a saved tensor was modified.</summary>
    public int Version;

    Storage(Array data, DType dtype)
    {
        Data = data;
        DType = dtype;
    }

    public int Length => Data.Length;

    /// <summary>A zero-filled buffer.</summary>
    public static Storage Allocate(DType dtype, int length) => new(dtype switch
    {
        DType.Float32 => new float[length],
        DType.Float64 => new double[length],
        DType.Int64 => new long[length],
        DType.Int32 => new int[length],
        DType.UInt8 => new byte[length],
        _ => new bool[length],
    }, dtype);

    /// <summary>
    /// A buffer whose contents the caller overwrites completely: skips zeroing, which matters for
    /// large kernel outputs.
    /// </summary>
    public static Storage AllocateUninitialized(DType dtype, int length) => length < 1024
        ? Allocate(dtype, length)
        : new(dtype switch
        {
            DType.Float32 => GC.AllocateUninitializedArray<float>(length),
            DType.Float64 => GC.AllocateUninitializedArray<double>(length),
            DType.Int64 => GC.AllocateUninitializedArray<long>(length),
            DType.Int32 => GC.AllocateUninitializedArray<int>(length),
            DType.UInt8 => GC.AllocateUninitializedArray<byte>(length),
            _ => GC.AllocateUninitializedArray<bool>(length),
        }, dtype);

    /// <summary>Wraps an existing array without copying.</summary>
    public static Storage Wrap<T>(T[] data) => new(data, DTypes.Of<T>());

    /// <summary>The data as a typed array; <typeparamref name="T"/> must match the dtype.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T[] As<T>() => Unsafe.As<T[]>(Data);

    /// <summary>A span over the whole buffer.</summary>
    public Span<T> Span<T>() => As<T>();

    /// <summary>A reference to element 0, for kernels that work with pointers or refs.</summary>
    public ref byte ByteRef => ref MemoryMarshal.GetArrayDataReference(Data);
}
