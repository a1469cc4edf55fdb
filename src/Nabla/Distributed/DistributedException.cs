namespace Nabla.Distributed;

/// <summary>
/// Raised when the process group cannot be set up (no MPI library, not started by a launcher) or a
/// collective fails: an MPI error, or no answer from the other ranks within <see cref="Distributed.Timeout"/>.
/// After a failed collective the group is unusable; the process should exit (it then aborts the job).
/// </summary>
public sealed class DistributedException(string message) : InvalidOperationException(message);
