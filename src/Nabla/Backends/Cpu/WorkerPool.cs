namespace Nabla.Backends.Cpu;

/// <summary>Stand-in until the GEMM branch's pool lands: splits a range over Parallel.For.</summary>
internal static class WorkerPool
{
    public static int ThreadCount { get; } = int.TryParse(Environment.GetEnvironmentVariable("NABLA_NUM_THREADS"), out int n) && n > 0 ? n : Environment.ProcessorCount;

    public static void For(int count, int minChunk, Action<int, int> body)
    {
        int chunks = Math.Min(ThreadCount, count / Math.Max(minChunk, 1));
        if (chunks < 2) { if (count > 0) body(0, count); return; }
        Parallel.For(0, chunks, c => body((int)((long)count * c / chunks), (int)((long)count * (c + 1) / chunks)));
    }
}
