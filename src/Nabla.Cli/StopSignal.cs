namespace Nabla.Cli;

/// <summary>
/// A request to stop training at the end of the current batch (Ctrl-C), checked by the training
/// loop after every batch.
/// </summary>
public sealed class StopSignal
{
    private volatile bool requested;

    /// <summary>Whether a stop was requested.</summary>
    public bool Requested => requested;

    /// <summary>Asks the run to stop after its current batch.</summary>
    public void Request() => requested = true;
}
