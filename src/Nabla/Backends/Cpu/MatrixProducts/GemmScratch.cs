using System.Runtime.InteropServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// One thread's GEMM buffers: its packed block of A, the double-buffered packed B it shares with the other
/// participants when it is the calling thread, and one micro-tile for ragged edges. 64-byte aligned, grown
/// when a call needs more and otherwise reused, never freed per call (freed when the thread's scratch dies).
/// </summary>
internal sealed unsafe class GemmScratch
{
    [ThreadStatic]
    private static GemmScratch? current;

    private Buffer packedA;
    private Buffer packedB0;
    private Buffer packedB1;
    private Buffer tile;

    ~GemmScratch()
    {
        packedA.Free();
        packedB0.Free();
        packedB1.Free();
        tile.Free();
    }

    /// <summary>The calling thread's scratch.</summary>
    public static GemmScratch Current => current ??= new GemmScratch();

    /// <summary>The packed-A buffer, at least <paramref name="bytes"/> long.</summary>
    public void* PackedA(long bytes) => packedA.Ensure(bytes);

    /// <summary>Packed-B buffer 0 or 1 (alternate kc blocks), at least <paramref name="bytes"/> long.</summary>
    public void* PackedB(int which, long bytes) => which == 0 ? packedB0.Ensure(bytes) : packedB1.Ensure(bytes);

    /// <summary>The edge-tile buffer, at least <paramref name="bytes"/> long.</summary>
    public void* Tile(long bytes) => tile.Ensure(bytes);

    private struct Buffer
    {
        private void* data;
        private long length;

        public void* Ensure(long bytes)
        {
            if (bytes > length)
            {
                Free();
                data = NativeMemory.AlignedAlloc((nuint)bytes, 64);
                length = bytes;
            }

            return data;
        }

        public void Free()
        {
            NativeMemory.AlignedFree(data);
            data = null;
            length = 0;
        }
    }
}
