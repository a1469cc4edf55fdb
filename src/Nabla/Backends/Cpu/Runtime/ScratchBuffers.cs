using System.Runtime.InteropServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Per-thread scratch memory for kernels, grown on demand and kept for the thread's lifetime, so a
/// kernel called again with the same shapes allocates nothing. Each thread has a few independent
/// slots (<see cref="ScratchSlot"/>) so that buffers needed at the same time never alias; the
/// <see cref="ScratchSlot.Reduction"/> slot belongs to a caller while its workers run (the caller
/// may run a parallel body itself, which uses the other slots).
/// </summary>
internal static unsafe class ScratchBuffers
{
    [ThreadStatic] private static nint[]? t_buffers;
    [ThreadStatic] private static long[]? t_capacities;

    /// <summary>At least <paramref name="count"/> elements of this thread's <paramref name="slot"/> (contents undefined, 64-byte aligned).</summary>
    public static T* Get<T>(ScratchSlot slot, long count) where T : unmanaged
    {
        t_buffers ??= new nint[(int)ScratchSlot.Count];
        t_capacities ??= new long[(int)ScratchSlot.Count];
        int index = (int)slot;
        long bytes = Math.Max(1, count) * sizeof(T);
        if (bytes > t_capacities[index])
        {
            if (t_buffers[index] != 0) NativeMemory.AlignedFree((void*)t_buffers[index]);
            long size = Math.Max(bytes, t_capacities[index] + t_capacities[index] / 2);
            t_buffers[index] = (nint)NativeMemory.AlignedAlloc((nuint)size, 64);
            t_capacities[index] = size;
        }
        return (T*)t_buffers[index];
    }
}

/// <summary>The independent scratch buffers each thread owns.</summary>
internal enum ScratchSlot
{
    /// <summary>im2col column matrices.</summary>
    Columns,

    /// <summary>Outputs or gradients regrouped from NCHW into [channels, samples·pixels].</summary>
    Staging,

    /// <summary>Partial sums owned by the thread that started a parallel region.</summary>
    Reduction,

    /// <summary>Transformed weights owned by the thread that started a parallel region (read by all).</summary>
    Filter,

    /// <summary>Inputs regrouped channel-last with a zero border (Winograd).</summary>
    ChannelLast,

    /// <summary>Number of slots.</summary>
    Count,
}
