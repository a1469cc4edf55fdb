using System.Diagnostics;

namespace Nabla.Tests.Distributed;

/// <summary>
/// Starts a real multi-process job on this machine (<c>mpiexec -n N dotnet PROGRAM.dll ARGS</c>,
/// oversubscribed, loopback only) and collects its exit code and output; a job that outlives its
/// time limit is killed and reported as timed out. MPI comes from tests/install-mpi.sh (MPICH);
/// Open MPI's launcher is used when only it is installed.
/// </summary>
internal static class MpiJob
{
    /// <summary>The xunit collection of the tests that start jobs: one job at a time, as each takes the machine's cores.</summary>
    public const string Collection = "MPI jobs";

    public sealed record Result(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed, bool TimedOut)
    {
        public string Output => $"exit code {ExitCode} after {Elapsed.TotalSeconds:F1} s{(TimedOut ? " (timed out)" : "")}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    /// <summary>The launcher and the arguments that make it run N local processes.</summary>
    static (string Launcher, string[] Options) FindLauncher()
    {
        foreach (var (name, options) in new (string, string[])[]
        {
            ("mpiexec.mpich", []),
            ("mpirun.openmpi", ["--oversubscribe", "--allow-run-as-root", "--mca", "btl", "self,vader,tcp", "--mca", "btl_tcp_if_include", "lo"]),
        })
        {
            var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
            if (path != null) return (path, options);
        }
        throw new InvalidOperationException("No MPI launcher (mpiexec.mpich or mpirun.openmpi) on PATH: run tests/install-mpi.sh (apt-get install mpich).");
    }

    /// <summary>The dotnet host running these tests, to start the job's processes with.</summary>
    static string DotnetHost()
    {
        var self = Environment.ProcessPath;
        return self != null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    /// <summary>Runs <paramref name="program"/> (a .dll next to the tests) on <paramref name="processes"/> ranks, in <paramref name="workingDirectory"/> (default: the tests' directory).</summary>
    public static Result Run(int processes, string program, IEnumerable<string> arguments, TimeSpan limit, string? workingDirectory = null)
    {
        var (launcher, options) = FindLauncher();
        var start = new ProcessStartInfo(launcher)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var option in options) start.ArgumentList.Add(option);
        foreach (var a in new[] { "-n", processes.ToString(), DotnetHost(), Path.Combine(AppContext.BaseDirectory, program) }) start.ArgumentList.Add(a);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["TERM"] = "dumb";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // One thread per rank, as the ranks share the machine's cores.
        start.Environment["NABLA_NUM_THREADS"] = "1";
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        bool finished = process.WaitForExit(limit);
        if (!finished)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        return new Result(finished ? process.ExitCode : -1, stdout.Result, stderr.Result, clock.Elapsed, !finished);
    }
}

/// <summary>The tests that start MPI jobs run one after another.</summary>
[CollectionDefinition(MpiJob.Collection, DisableParallelization = true)]
public sealed class MpiJobCollection
{
}
