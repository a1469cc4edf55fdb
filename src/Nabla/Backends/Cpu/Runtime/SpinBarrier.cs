namespace Nabla.Backends.Cpu;

/// <summary>
/// A reusable barrier for the participants of one <see cref="WorkerPool.TryRun"/> region. Waiters spin
/// (see <see cref="Spinning"/>), because kernels cross it every few hundred microseconds and a blocking
/// wake-up would cost as much as the work between two crossings. It never blocks: participants of a region
/// are all running, at worst preempted.
/// </summary>
internal sealed class SpinBarrier
{
    private readonly int participants;
    private int remaining;
    private int phase;

    /// <summary>Creates a barrier that opens each time <paramref name="participants"/> threads have arrived.</summary>
    public SpinBarrier(int participants)
    {
        this.participants = participants;
        remaining = participants;
    }

    /// <summary>Blocks until every participant has called <see cref="SignalAndWait"/> for the current phase.</summary>
    public void SignalAndWait()
    {
        if (participants == 1)
        {
            return;
        }

        int current = Volatile.Read(ref phase);
        if (Interlocked.Decrement(ref remaining) == 0)
        {
            // Last to arrive: re-arm the count before opening the next phase, so no one can arrive early.
            Volatile.Write(ref remaining, participants);
            Volatile.Write(ref phase, current + 1);
            return;
        }

        while (!Spinning.UntilChanged(ref phase, current, budgetMicroseconds: 1000))
        {
        }
    }
}
