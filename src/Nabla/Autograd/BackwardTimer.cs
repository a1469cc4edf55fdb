using System.Diagnostics;

// The autograd types live in namespace Nabla; see Node.cs.
namespace Nabla;

/// <summary>
/// Measures how long backward spends in the graph nodes recorded while the timer was entered:
/// enter it around a module's forward (a profiler does so from forward hooks) and after
/// <c>Backward()</c> <see cref="Elapsed"/> holds that module's share of the backward pass. The
/// engine times each node it runs (its backward rule and the reduction of its input gradients),
/// so modules whose backward interleaves with others' (Inception's branches, residual blocks) are
/// still timed exactly, which timestamps from gradient hooks on their inputs and outputs could not
/// do. Nodes recorded outside any timer are not timed. Entering nests (the innermost timer
/// wins) and is per thread; the engine adds to the timers on the thread that runs backward.
/// </summary>
/// <example><code>
/// var timer = new BackwardTimer("conv1");
/// using (timer.Enter()) y = conv1.Call(x);
/// loss(y).Backward();
/// Console.WriteLine(timer.Elapsed);   // the time of conv1's backward
/// </code></example>
public sealed class BackwardTimer
{
    [ThreadStatic]
    static BackwardTimer? current;

    long ticks;

    /// <summary>A timer at zero.</summary>
    /// <param name="name">What it times, for reports (a module's path).</param>
    public BackwardTimer(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
    }

    /// <summary>What the timer times.</summary>
    public string Name { get; }

    /// <summary>Backward time of the nodes recorded under this timer, summed over every backward since the last <see cref="Reset"/>.</summary>
    public TimeSpan Elapsed => TimeSpan.FromSeconds((double)Interlocked.Read(ref ticks) / Stopwatch.Frequency);

    /// <summary>How many node backwards were timed.</summary>
    public int NodeCount { get; private set; }

    /// <summary>The timer that nodes recorded now on this thread report to, or null.</summary>
    internal static BackwardTimer? Current => current;

    /// <summary>Until the returned scope is disposed, graph nodes recorded on this thread report their backward time here.</summary>
    public Scope Enter()
    {
        var previous = current;
        current = this;
        return new Scope(previous);
    }

    /// <summary>Sets <see cref="Elapsed"/> and <see cref="NodeCount"/> back to zero.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref ticks, 0);
        NodeCount = 0;
    }

    internal void Add(long elapsedTicks)
    {
        Interlocked.Add(ref ticks, elapsedTicks);
        NodeCount++;
    }

    /// <summary>Restores the timer that was current before <see cref="Enter"/>.</summary>
    public readonly struct Scope : IDisposable
    {
        readonly BackwardTimer? previous;

        internal Scope(BackwardTimer? previous) => this.previous = previous;

        /// <summary>Leaves the timer.</summary>
        public void Dispose() => current = previous;
    }
}
