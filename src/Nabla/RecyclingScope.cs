namespace Nabla;

/// <summary>
/// Recycles the intermediate activations of a forward pass once nothing can read them any more.
/// A module that knows its intermediates are invisible to the user (<c>Sequential</c> over
/// framework modules without hooks: only its output leaves it) opens a scope, runs, and hands
/// the scope the intermediates' storages. Every autograd node recorded while the scope is open
/// (nested scopes included) may still read them from its backward closure, so the storages go to
/// <see cref="BufferPool"/> only when the scope is closed and all of those nodes have run their
/// backward and dropped their closures — at once for a forward without autograd (no nodes), after
/// the backward otherwise. A graph that is never run backward, or kept with
/// <c>retainGraph</c>, never completes its scope: its storages are then left to the garbage collector.
/// </summary>
internal sealed class RecyclingScope
{
    [ThreadStatic] static RecyclingScope? current;

    readonly RecyclingScope? parent;
    readonly long startSerial = Storage.CurrentSerial;
    int created, freed, closed;
    List<Storage>? storages = [];

    RecyclingScope(RecyclingScope? parent) => this.parent = parent;

    /// <summary>Opens a scope on this thread (null when the pool is off).</summary>
    public static RecyclingScope? Begin()
    {
        if (!BufferPool.Enabled) return null;
        return current = new RecyclingScope(current);
    }

    /// <summary>
    /// Marks <paramref name="intermediate"/>'s storage dead once the scope completes. Only storages
    /// made inside the scope qualify (never the caller's input, a parameter or a user's array).
    /// </summary>
    public void Own(Tensor intermediate)
    {
        var storage = intermediate.storage;
        if (storage.Serial <= startSerial || storage.Data is not { Length: >= BufferPool.MinLength }) return;
        lock (this) storages?.Add(storage);
    }

    /// <summary>
    /// Runs the forward of a module with its own wiring (a residual block, a model's stem) that passes each
    /// intermediate it makes through <c>keep</c> (which returns it): when <paramref name="module"/> keeps no tensors (see
    /// <see cref="NN.Module.KeepsNoTensors"/>), those buffers are recycled as <see cref="NN.Sequential"/>'s are,
    /// except one that the result shares. Otherwise this is just the forward.
    /// </summary>
    internal static Tensor Run(NN.Module module, Func<Func<Tensor, Tensor>, Tensor> forward)
    {
        var scope = BufferPool.Enabled && module.KeepsNoTensors() ? Begin() : null;
        if (scope == null) return forward(static t => t);
        var intermediates = new List<Tensor>();
        try
        {
            var result = forward(t =>
            {
                intermediates.Add(t);
                return t;
            });
            var owned = new HashSet<Storage>(ReferenceEqualityComparer.Instance) { result.storage };
            foreach (var t in intermediates)
                if (owned.Add(t.storage)) scope.Own(t);
            return result;
        }
        finally
        {
            scope.End();
        }
    }

    /// <summary>Closes the scope (restoring the enclosing one); recycles now if no node is pending.</summary>
    public void End()
    {
        current = parent;
        Volatile.Write(ref closed, 1);
        TryRecycle();
    }

    /// <summary>A node was recorded: it belongs to the innermost open scope and counts in every enclosing one.</summary>
    internal static void OnRecord(Node node)
    {
        if (current is not { } scope) return;
        node.Scope = scope;
        for (var s = scope; s != null; s = s.parent) Interlocked.Increment(ref s.created);
    }

    /// <summary>The node ran its backward and dropped its closure and saved tensors.</summary>
    internal static void OnFreed(Node node)
    {
        for (var s = node.Scope; s != null; s = s.parent)
        {
            Interlocked.Increment(ref s.freed);
            s.TryRecycle();
        }
        node.Scope = null;
    }

    void TryRecycle()
    {
        if (Volatile.Read(ref closed) == 0 || Volatile.Read(ref freed) != Volatile.Read(ref created)) return;
        List<Storage>? dead;
        lock (this)
        {
            dead = storages;
            storages = null;
        }
        if (dead != null)
            foreach (var storage in dead) storage.Recycle();
    }
}
