using System.Collections;

namespace Nabla.NN;

/// <summary>
/// Runs its modules one after the other, each on the previous one's output (<c>nn.Sequential</c>).
/// Children are named "0", "1", … unless given names, so state-dict keys match PyTorch
/// (<c>0.weight</c>). Supports collection initializers: <c>new Sequential { new Linear(2, 8), new Tanh() }</c>.
/// Shape: whatever the first module takes → whatever the last returns.
/// </summary>
public sealed class Sequential : Module<Tensor, Tensor>, IEnumerable<Module<Tensor, Tensor>>
{
    readonly List<Module<Tensor, Tensor>> layers = [];

    /// <summary>A sequence of modules named "0", "1", ….</summary>
    public Sequential(params Module<Tensor, Tensor>[] modules)
    {
        foreach (var module in modules) Append(module);
    }

    /// <summary>A sequence of named modules (PyTorch's <c>Sequential(OrderedDict(...))</c>).</summary>
    public Sequential(params (string Name, Module<Tensor, Tensor> Module)[] modules)
    {
        foreach (var (name, module) in modules)
        {
            RegisterModule(name, module);
            layers.Add(module);
        }
    }

    /// <summary>Number of modules.</summary>
    public int Count => layers.Count;

    /// <summary>The module at <paramref name="index"/>; negative indices count from the end.</summary>
    public Module<Tensor, Tensor> this[int index] => layers[index < 0 ? index + layers.Count : index];

    /// <summary>Adds a module at the end, named by its position (<c>append</c>).</summary>
    public Sequential Append(Module<Tensor, Tensor> module)
    {
        RegisterModule(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        layers.Add(module);
        return this;
    }

    /// <summary>Same as <see cref="Append"/>; enables collection initializers.</summary>
    public void Add(Module<Tensor, Tensor> module) => Append(module);

    /// <summary>Passes <paramref name="input"/> through every module in order.</summary>
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var layer in layers) x = layer.Call(x);
        return x;
    }

    /// <inheritdoc/>
    public IEnumerator<Module<Tensor, Tensor>> GetEnumerator() => layers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
