namespace Nabla.NN;

// Forward hooks (register_forward_pre_hook / register_forward_hook). The base class keeps them
// untyped so that tools can observe any module (e.g. print every layer's output shape through
// Apply); Module<TInput, TOutput> adds typed overloads that can also replace the input or output.
public abstract partial class Module
{
    readonly List<Func<Module, object?, object?>> forwardPreHooks = [];
    readonly List<Func<Module, object?, object?, object?>> forwardHooks = [];

    /// <summary>
    /// Registers <paramref name="hook"/>(module, input), called before each forward; it returns a
    /// replacement input, or null to keep it. Multi-input modules pass their inputs as a tuple.
    /// </summary>
    public RemovableHandle RegisterForwardPreHook(Func<Module, object?, object?> hook)
    {
        forwardPreHooks.Add(hook);
        return new RemovableHandle(() => forwardPreHooks.Remove(hook));
    }

    /// <summary>
    /// Registers <paramref name="hook"/>(module, input, output), called after each forward; it
    /// returns a replacement output, or null to keep it.
    /// </summary>
    public RemovableHandle RegisterForwardHook(Func<Module, object?, object?, object?> hook)
    {
        forwardHooks.Add(hook);
        return new RemovableHandle(() => forwardHooks.Remove(hook));
    }

    /// <summary>Registers an observing pre-hook(module, input) that cannot change the input.</summary>
    public RemovableHandle RegisterForwardPreHook(Action<Module, object?> hook) =>
        RegisterForwardPreHook((m, input) => { hook(m, input); return null; });

    /// <summary>Registers an observing hook(module, input, output) that cannot change the output.</summary>
    public RemovableHandle RegisterForwardHook(Action<Module, object?, object?> hook) =>
        RegisterForwardHook((m, input, output) => { hook(m, input, output); return null; });

    /// <summary>Whether any forward pre-hook or forward hook is registered (a fused forward that skips this module's own must not run then).</summary>
    internal bool HasForwardHooks => forwardPreHooks.Count > 0 || forwardHooks.Count > 0;

    /// <summary>
    /// Runs the pre-hooks, <paramref name="forward"/>, then the forward hooks: PyTorch's
    /// <c>module(x)</c>. Multi-input modules call it with their inputs as a tuple. The tensors the hooks
    /// see may be kept by them, so they are never recycled (see <see cref="RecyclingScope"/>).
    /// </summary>
    protected TOutput CallWithHooks<TInput, TOutput>(TInput input, Func<TInput, TOutput> forward)
    {
        if (forwardPreHooks.Count == 0 && forwardHooks.Count == 0) return forward(input);
        RecyclingScope.Pin(input);
        foreach (var hook in forwardPreHooks.ToArray())
            if (hook(this, input) is { } replaced) RecyclingScope.Pin(input = (TInput)replaced);
        var output = forward(input);
        RecyclingScope.Pin(output);
        foreach (var hook in forwardHooks.ToArray())
            if (hook(this, input, output) is { } replaced) RecyclingScope.Pin(output = (TOutput)replaced);
        return output;
    }
}
