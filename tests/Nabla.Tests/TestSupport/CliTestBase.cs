using Nabla.Cli;

namespace Nabla.Tests.TestSupport;

/// <summary>Runs the <c>nabla</c> command in-process with captured output, in a temporary directory removed afterwards.</summary>
public abstract class CliTestBase(string prefix) : IDisposable
{
    /// <summary>A fresh directory for this test's checkpoints and plots (not created until used).</summary>
    protected readonly string directory = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs <c>nabla ARGS…</c> and returns its exit code and what it wrote.</summary>
    protected static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exitCode = CliApp.Run(args, stdout, stderr);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }
}
