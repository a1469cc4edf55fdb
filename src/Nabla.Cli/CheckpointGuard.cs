using System.CommandLine;

namespace Nabla.Cli;

/// <summary>
/// Keeps a fresh run from replacing the checkpoint of another run by accident: a directory that
/// holds a checkpoint is continued with <c>--resume</c> or replaced with <c>--overwrite</c>, never silently.
/// </summary>
public static class CheckpointGuard
{
    /// <summary>The <c>--overwrite</c> option of every training command that takes <c>--checkpoint</c>.</summary>
    public static Option<bool> OverwriteOption() => new("--overwrite")
    {
        Description = "Start a new run in --checkpoint DIR even though DIR holds a checkpoint, replacing it (without --resume or --overwrite that is refused).",
    };

    /// <summary>Refuses to start a fresh run in <paramref name="directory"/> when it holds a checkpoint, unless <paramref name="overwrite"/>.</summary>
    /// <exception cref="ArgumentException">It holds one and <paramref name="overwrite"/> is false.</exception>
    public static void RefuseOverwrite(string directory, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string path = CheckpointStore.PathIn(directory);
        if (!overwrite && File.Exists(path))
        {
            throw new ArgumentException($"--checkpoint {directory} already holds a checkpoint ({path}); add --resume to continue that run, or --overwrite to replace it with a new one.");
        }
    }
}
