namespace Nabla.NN;

/// <summary>
/// Returned when a hook is registered: disposing it (or calling <see cref="Remove"/>) unregisters
/// the hook (<c>torch.utils.hooks.RemovableHandle</c>).
/// </summary>
public sealed class RemovableHandle : IDisposable
{
    Action? remove;

    internal RemovableHandle(Action remove) => this.remove = remove;

    /// <summary>Unregisters the hook; later calls do nothing.</summary>
    public void Remove()
    {
        remove?.Invoke();
        remove = null;
    }

    /// <summary>Same as <see cref="Remove"/>, for <c>using</c>.</summary>
    public void Dispose() => Remove();
}
