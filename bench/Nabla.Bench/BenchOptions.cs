namespace Nabla.Bench;

/// <summary>Options given on the command line besides the job names.</summary>
internal static class BenchOptions
{
    /// <summary><c>--profile</c>: jobs that support it print a per-module time table on stderr (see <see cref="ModuleProfiler"/>).</summary>
    public static bool Profile { get; set; }
}
