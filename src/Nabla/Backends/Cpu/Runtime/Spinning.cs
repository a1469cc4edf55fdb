using System.Diagnostics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// Bounded busy-waiting for the worker pool and its barrier, in two stages: pause instructions only, for
/// <see cref="PauseMicroseconds"/> (the other thread is usually about to arrive), then <see cref="Thread.Yield"/>
/// between checks, so that on a core shared with other processes the waiter stops burning its time slice.
/// Past the whole budget the caller blocks. On a busy machine a thread that yields or spins long can lose
/// its core for milliseconds and miss the next parallel region, while a blocked thread that is woken gets
/// the core back at once (the scheduler favours sleepers); so idle workers spin briefly, then block.
/// </summary>
internal static class Spinning
{
    /// <summary>Pure spinning lasts this long before the waiter starts yielding.</summary>
    public const long PauseMicroseconds = 50;

    private static readonly long TicksPerMicrosecond = Math.Max(1, Stopwatch.Frequency / 1_000_000);

    private enum Until
    {
        Changed,
        Equal,
        AtLeast,
    }

    /// <summary>Waits until <paramref name="location"/> ≠ <paramref name="value"/>; false if that took longer than the budget.</summary>
    public static bool UntilChanged(ref int location, int value, long budgetMicroseconds) =>
        Wait(ref location, value, Until.Changed, budgetMicroseconds);

    /// <summary>Waits until <paramref name="location"/> = <paramref name="value"/>; false if that took longer than the budget.</summary>
    public static bool UntilEqual(ref int location, int value, long budgetMicroseconds) =>
        Wait(ref location, value, Until.Equal, budgetMicroseconds);

    /// <summary>Waits, without a time limit, until <paramref name="location"/> ≥ <paramref name="value"/>.</summary>
    public static void UntilAtLeast(ref int location, int value)
    {
        while (!Wait(ref location, value, Until.AtLeast, budgetMicroseconds: 1000))
        {
        }
    }

    private static bool Reached(int current, int value, Until condition) => condition switch
    {
        Until.Changed => current != value,
        Until.Equal => current == value,
        _ => current >= value,
    };

    private static bool Wait(ref int location, int value, Until condition, long budgetMicroseconds)
    {
        if (Reached(Volatile.Read(ref location), value, condition))
        {
            return true;
        }

        long start = Stopwatch.GetTimestamp();
        long yieldFrom = start + (PauseMicroseconds * TicksPerMicrosecond);
        long deadline = start + (budgetMicroseconds * TicksPerMicrosecond);
        for (int i = 1; !Reached(Volatile.Read(ref location), value, condition); i++)
        {
            if ((i & 15) != 0)
            {
                Thread.SpinWait(1);
                continue;
            }

            long now = Stopwatch.GetTimestamp();
            if (now > deadline)
            {
                return false;
            }

            if (now > yieldFrom)
            {
                Thread.Yield();
            }
        }

        return true;
    }
}
