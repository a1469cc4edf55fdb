// The autograd types live in namespace Nabla; see Node.cs.
namespace Nabla;

/// <summary>
/// The gradients of one backward pass waiting at their nodes, and which of their buffers are dead.
/// Gradients reaching a node are summed in its buffer until the node runs. Without createGraph, a storage made
/// after the backward started (so not a user's or a saved forward tensor) whose every pending gradient has been
/// consumed, and that never escaped to a hook, a retained or captured gradient or a leaf, is recycled through
/// <see cref="BufferPool"/>. Pending gradients are counted per storage, since a backward rule may pass its
/// gradient on as is or as a view.
/// </summary>
internal sealed class GradientBuffers
{
    readonly Dictionary<Node, Tensor> waiting = new(ReferenceEqualityComparer.Instance);
    readonly bool recycles;
    readonly long startSerial = Storage.CurrentSerial;
    readonly Dictionary<Storage, int> pending = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<Storage> escaped = new(ReferenceEqualityComparer.Instance);

    /// <summary>Buffers for one backward; <paramref name="recycles"/> is false when the backward's own graph is kept (createGraph).</summary>
    public GradientBuffers(bool recycles) => this.recycles = recycles;

    bool Made(Tensor t) => recycles && t.storage.Serial > startSerial && t.storage.Data is { Length: >= BufferPool.MinLength };

    /// <summary>A gradient reaches <paramref name="node"/>: it waits there, summed with any earlier one.</summary>
    public void Add(Node node, Tensor grad)
    {
        if (waiting.TryGetValue(node, out var existing))
        {
            var sum = existing + grad;
            waiting[node] = sum;
            Hold(sum);
            Release(existing);
            Release(grad, counted: false);
        }
        else
        {
            waiting[node] = grad;
            Hold(grad);
        }
    }

    /// <summary>Takes the gradient waiting at <paramref name="node"/>, if one reached it.</summary>
    public bool TryTake(Node node, out Tensor grad) => waiting.Remove(node, out grad!);

    void Hold(Tensor t)
    {
        if (Made(t)) pending[t.storage] = pending.GetValueOrDefault(t.storage) + 1;
    }

    /// <summary>A gradient left its buffer (<paramref name="counted"/>) or an intermediate was replaced; recycles the storage once nothing holds it.</summary>
    public void Release(Tensor t, bool counted = true)
    {
        if (!Made(t) || escaped.Contains(t.storage)) return;
        int left = pending.GetValueOrDefault(t.storage) - (counted ? 1 : 0);
        if (left > 0)
        {
            pending[t.storage] = left;
            return;
        }
        pending.Remove(t.storage);
        if (!counted && left < 0) return;
        t.storage.Recycle();
    }

    /// <summary>The tensor is kept beyond this backward: never recycle its storage.</summary>
    public void Escape(Tensor t)
    {
        if (Made(t)) escaped.Add(t.storage);
    }

    /// <summary>Whether <paramref name="t"/> is the only pending reference to a storage this backward made (never when it keeps its graph).</summary>
    public bool IsSoleOwner(Tensor t) => Made(t) && !escaped.Contains(t.storage) && pending.GetValueOrDefault(t.storage) == 1;
}
