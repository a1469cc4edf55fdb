using Nabla.NN;

namespace Nabla.Jit;

/// <summary>
/// A <see cref="CompiledModule"/> seen as a module (<see cref="CompiledModule.AsModule"/>), so that code written for modules
/// (an evaluation loop, a predictor) runs the compiled graph. It has no parameters of its own: the graph holds frozen copies.
/// Shape: the compiled graph's input → its first output.
/// </summary>
internal sealed class CompiledForward(CompiledModule compiled) : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => compiled.Call(input);
}
