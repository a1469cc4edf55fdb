using System.Runtime.InteropServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Per-thread scratch memory for kernels, grown on demand and kept for the thread's lifetime, so
/// a kernel called again with the same shapes allocates nothing. Two independent slots:
/// <see cref="Work"/> for buffers used inside a parallel body, <see cref="Reduction"/> for
/// buffers the calling thread owns while its workers run (the caller may also run a body, so the
/// two must not alias).
/// </summary>
internal static unsafe class ScratchBuffers
{
    [ThreadStatic] private static nint t_work;
    [ThreadStatic] private static long t_workBytes;
    [ThreadStatic] private static nint t_reduction;
    [ThreadStatic] private static long t_reductionBytes;

    /// <summary>At least <paramref name="count"/> elements of this thread's work slot (contents undefined, 64-byte aligned).</summary>
    public static T* Work<T>(long count) where T : unmanaged => (T*)Grow(ref t_work, ref t_workBytes, count * sizeof(T));

    /// <summary>At least <paramref name="count"/> elements of this thread's reduction slot (contents undefined, 64-byte aligned).</summary>
    public static T* Reduction<T>(long count) where T : unmanaged => (T*)Grow(ref t_reduction, ref t_reductionBytes, count * sizeof(T));

    private static nint Grow(ref nint buffer, ref long capacity, long bytes)
    {
        if (bytes > capacity)
        {
            if (buffer != 0) NativeMemory.AlignedFree((void*)buffer);
            long size = Math.Max(bytes, capacity + capacity / 2);
            buffer = (nint)NativeMemory.AlignedAlloc((nuint)size, 64);
            capacity = size;
        }
        return buffer;
    }
}
