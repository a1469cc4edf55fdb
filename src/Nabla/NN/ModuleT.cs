namespace Nabla.NN;

/// <summary>
/// A module with one input and one output, the shape of most layers (<c>Module&lt;Tensor, Tensor&gt;</c>).
/// Implement <see cref="Forward"/>; call the module with <see cref="Call"/>, which also runs the
/// hooks (PyTorch's <c>module(x)</c>).
/// </summary>
/// <typeparam name="TInput">What the module takes.</typeparam>
/// <typeparam name="TOutput">What it returns.</typeparam>
public abstract class Module<TInput, TOutput> : Module
{
    /// <summary>The computation of the module. Call <see cref="Call"/> rather than this, so that hooks run.</summary>
    public abstract TOutput Forward(TInput input);

    /// <summary>
    /// Runs the forward pre-hooks, <see cref="Forward"/>, and the forward hooks. When the module returns one
    /// tensor, the buffers of the intermediates its forward made are recycled once their backward has run
    /// (see <see cref="RecyclingScope"/>): a training loop reuses the same activation memory every step.
    /// </summary>
    public TOutput Call(TInput input)
    {
        if (typeof(TOutput) != typeof(Tensor))
        {
            // Several outputs: what the forward makes belongs to the caller's scope, which must know what this module keeps.
            var outputs = CallWithHooks(input, Forward);
            if (RecyclingScope.IsOpen) RecyclingScope.PinFields(this);
            return outputs;
        }
        if (RecyclingScope.Begin() is not { } scope) return CallWithHooks(input, Forward);
        TOutput output;
        try
        {
            output = CallWithHooks(input, Forward);
        }
        catch
        {
            scope.Abandon();
            throw;
        }
        scope.End(this, output as Tensor);
        RecyclingScope.Track(output as Tensor); // an intermediate of the caller's forward
        return output;
    }

    /// <summary>Registers a typed pre-hook(module, input) that observes the input.</summary>
    public RemovableHandle RegisterForwardPreHook(Action<Module<TInput, TOutput>, TInput> hook) =>
        RegisterForwardPreHook((m, input) => { hook((Module<TInput, TOutput>)m, (TInput)input!); return null; });

    /// <summary>Registers a typed pre-hook(module, input) that returns a replacement input (or null to keep it).</summary>
    public RemovableHandle RegisterForwardPreHook(Func<Module<TInput, TOutput>, TInput, TInput?> hook) =>
        RegisterForwardPreHook((m, input) => (object?)hook((Module<TInput, TOutput>)m, (TInput)input!));

    /// <summary>Registers a typed hook(module, input, output) that observes the output.</summary>
    public RemovableHandle RegisterForwardHook(Action<Module<TInput, TOutput>, TInput, TOutput> hook) =>
        RegisterForwardHook((m, input, output) => { hook((Module<TInput, TOutput>)m, (TInput)input!, (TOutput)output!); return null; });

    /// <summary>Registers a typed hook(module, input, output) that returns a replacement output (or null to keep it).</summary>
    public RemovableHandle RegisterForwardHook(Func<Module<TInput, TOutput>, TInput, TOutput, TOutput?> hook) =>
        RegisterForwardHook((m, input, output) => (object?)hook((Module<TInput, TOutput>)m, (TInput)input!, (TOutput)output!));
}
