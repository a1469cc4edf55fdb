namespace Nabla.Backends.Cpu;

/// <summary>
/// Temporary stand-in for the shared worker pool (the real one lives on branch <c>gemm</c>).
/// Splits a range into at most <see cref="ThreadCount"/> chunks and runs them with
/// <see cref="Parallel.For(int, int, Action{int})"/>; a call made from inside a running body
/// executes inline, so kernels may nest without oversubscribing the cores.
/// </summary>
internal static class WorkerPool
{
    [ThreadStatic] private static bool t_insideBody;

    /// <summary>Number of threads a parallel loop may use (<c>NABLA_NUM_THREADS</c> overrides the core count).</summary>
    public static int ThreadCount { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("NABLA_NUM_THREADS"), out int n) && n > 0 ? n : Environment.ProcessorCount;

    /// <summary>Runs <paramref name="body"/>(start, end) over disjoint ranges covering [0, count), each at least <paramref name="minChunk"/> long where possible.</summary>
    public static void For(int count, int minChunk, Action<int, int> body)
    {
        if (count <= 0) return;
        int chunks = Math.Min(ThreadCount, Math.Max(1, count / Math.Max(1, minChunk)));
        if (chunks <= 1 || t_insideBody)
        {
            body(0, count);
            return;
        }
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, c =>
        {
            bool outer = t_insideBody;
            t_insideBody = true;
            try { body((int)((long)c * count / chunks), (int)((long)(c + 1) * count / chunks)); }
            finally { t_insideBody = outer; }
        });
    }
}
