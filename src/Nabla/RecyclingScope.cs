using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Nabla;

/// <summary>
/// Recycles the intermediate activations of a module's forward once nothing can read them any more.
/// <see cref="NN.Module{TInput, TOutput}.Call"/> opens a scope around every forward that returns one
/// tensor, so the rule holds for Nabla's layers, the zoo and a user's own modules alike, and model
/// code never mentions memory. While the scope is open it collects the tensors the forward makes:
/// every result of an autograd-recorded op and every output of a child module's call. When the
/// forward returns, those are intermediates except the result itself (or a tensor sharing its
/// buffer) and any tensor someone else can still reach, which is pinned: the input and output of a
/// module with forward hooks (the hooks see them), a tensor held by a field of a module (a list of
/// kept feature maps, a cached state: each module's fields are read when its call returns), and a
/// tensor that called
/// <see cref="Tensor.RetainGrad"/>. Every autograd node recorded while the scope is open (nested
/// scopes included) may still read the intermediates from its backward closure, so their storages go
/// to <see cref="BufferPool"/> only when the scope is closed and all of those nodes have run their
/// backward and dropped their closures — at once for a forward without autograd (no nodes), after
/// the backward otherwise. A graph that is never run backward, or kept with <c>retainGraph</c>,
/// never completes its scope: its storages are then left to the garbage collector. Not seen, and so
/// recycled: a tensor a forward hides where no module field reaches it (a static, a closure), or keeps
/// in a field of a child it runs through <c>Forward</c> instead of <c>Call</c>.
/// </summary>
internal sealed class RecyclingScope
{
    [ThreadStatic] static RecyclingScope? current;

    /// <summary>Per module type: the instance fields that may hold tensors (tensor, collection, tuple or object typed).</summary>
    static readonly ConcurrentDictionary<Type, FieldInfo[]> tensorFields = new();

    readonly RecyclingScope? parent;
    readonly long startSerial = Storage.CurrentSerial;
    int created, freed, closed;
    bool finished; // recycled or abandoned: candidates are no longer collected
    List<Storage>? storages; // made on the first candidate: most leaf layers' scopes have none

    RecyclingScope(RecyclingScope? parent) => this.parent = parent;

    /// <summary>Whether a scope is open on this thread.</summary>
    public static bool IsOpen => current != null;

    /// <summary>Opens a scope on this thread (null when the pool is off).</summary>
    public static RecyclingScope? Begin()
    {
        if (!BufferPool.Enabled) return null;
        return current = new RecyclingScope(current);
    }

    /// <summary>
    /// A tensor made by the forward of the innermost open scope (an op's result, a child module's
    /// output) becomes a candidate intermediate. Only storages made inside the scope qualify (never the
    /// caller's input, a parameter or a user's array).
    /// </summary>
    public static void Track(Tensor? made)
    {
        if (made is null || current is not { } scope) return;
        var storage = made.storage;
        if (storage.Serial <= scope.startSerial || storage.Data is not { Length: >= BufferPool.MinLength }) return;
        lock (scope)
        {
            if (!scope.finished) (scope.storages ??= []).Add(storage);
        }
    }

    /// <summary>
    /// Closes the scope after <paramref name="module"/>'s forward returned <paramref name="result"/>: pins the
    /// tensors held by the module's fields (each child pinned its own at the end of its call), marks the other
    /// candidates dead except the result's buffer, and recycles now if no node is pending.
    /// </summary>
    public void End(NN.Module module, Tensor? result)
    {
        PinFields(module);
        lock (this)
        {
            if (storages != null && result != null) storages.RemoveAll(s => ReferenceEquals(s, result.storage));
        }
        Close();
    }

    /// <summary>Closes the scope of a forward that threw: nothing it made is recycled.</summary>
    public void Abandon()
    {
        lock (this)
        {
            storages = null;
            finished = true;
        }
        Close();
    }

    void Close()
    {
        current = parent;
        Volatile.Write(ref closed, 1);
        TryRecycle();
    }

    /// <summary>Keeps <paramref name="value"/>'s tensors (a tensor, a tuple or a collection of them) out of every scope's recycling.</summary>
    public static void Pin(object? value, int depth = 0)
    {
        switch (value)
        {
            case null or string or Delegate or NN.Module:
                return;
            case Tensor tensor:
                tensor.storage.Pinned = true;
                return;
            case ITuple tuple when depth < 4:
                for (int i = 0; i < tuple.Length; i++) Pin(tuple[i], depth + 1);
                return;
            case IDictionary dictionary when depth < 4:
                foreach (var item in dictionary.Values) Pin(item, depth + 1);
                return;
            case IEnumerable items when depth < 4:
                foreach (var item in items) Pin(item, depth + 1);
                return;
        }
    }

    /// <summary>Pins the tensors held by <paramref name="module"/>'s fields (those its own type and its bases below <see cref="NN.Module"/> declare).</summary>
    public static void PinFields(NN.Module module)
    {
        foreach (var field in tensorFields.GetOrAdd(module.GetType(), FindTensorFields)) Pin(field.GetValue(module));
    }

    static FieldInfo[] FindTensorFields(Type type)
    {
        var fields = new List<FieldInfo>();
        for (var t = type; t != null && t != typeof(NN.Module); t = t.BaseType)
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                if (MayHoldTensor(field.FieldType, 0)) fields.Add(field);
        return [.. fields];
    }

    static bool MayHoldTensor(Type type, int depth)
    {
        if (typeof(Tensor).IsAssignableFrom(type) || type == typeof(object)) return true;
        if (depth > 3 || typeof(Delegate).IsAssignableFrom(type) || typeof(NN.Module).IsAssignableFrom(type)) return false;
        if (type.IsArray) return MayHoldTensor(type.GetElementType()!, depth + 1);
        if (type.IsGenericType)
            foreach (var argument in type.GetGenericArguments())
                if (MayHoldTensor(argument, depth + 1)) return true;
        return false;
    }

    /// <summary>A node was recorded for <paramref name="result"/>: it belongs to the innermost open scope and counts in every enclosing one.</summary>
    internal static void OnRecord(Node node, Tensor result)
    {
        if (current is not { } scope) return;
        node.Scope = scope;
        for (var s = scope; s != null; s = s.parent) Interlocked.Increment(ref s.created);
        Track(result);
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
            finished = true;
        }
        if (dead == null) return;
        var seen = new HashSet<Storage>(ReferenceEqualityComparer.Instance);
        foreach (var storage in dead)
            if (!storage.Pinned && seen.Add(storage)) storage.Recycle();
    }
}
