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
    // The modules in call order, and their names (a module may appear twice under two names).
    readonly List<Module<Tensor, Tensor>> layers = [];
    readonly List<string> names = [];

    /// <summary>An empty sequence; add modules with <see cref="Append"/> or a collection initializer.</summary>
    public Sequential() { }

    /// <summary>A sequence of modules named "0", "1", ….</summary>
    public Sequential(params Module<Tensor, Tensor>[] modules)
    {
        foreach (var module in modules) Append(module);
    }

    /// <summary>A sequence of named modules (PyTorch's <c>Sequential(OrderedDict(...))</c>).</summary>
    public Sequential(params (string Name, Module<Tensor, Tensor> Module)[] modules)
    {
        foreach (var (name, module) in modules) Add(name, module);
    }

    /// <summary>Number of modules.</summary>
    public int Count => layers.Count;

    /// <summary>The module at <paramref name="index"/>; negative indices count from the end.</summary>
    public Module<Tensor, Tensor> this[int index] => layers[index < 0 ? index + layers.Count : index];

    /// <summary>Adds a module at the end, named by its position (<c>append</c>).</summary>
    public Sequential Append(Module<Tensor, Tensor> module)
    {
        Add(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        return this;
    }

    /// <summary>Adds a module at the end under <paramref name="name"/> (<c>add_module</c>).</summary>
    public void Add(string name, Module<Tensor, Tensor> module)
    {
        if (names.Contains(name)) throw new ArgumentException($"Sequential: a module named \"{name}\" already exists.", nameof(name));
        RegisterModule(name, module);
        layers.Add(module);
        names.Add(name);
    }

    /// <summary>
    /// The modules in <paramref name="range"/> as a new Sequential that keeps their names and shares
    /// the modules (<c>model[:2]</c>), e.g. a feature extractor cut from a classifier.
    /// </summary>
    public Sequential this[Range range]
    {
        get
        {
            var (start, length) = range.GetOffsetAndLength(layers.Count);
            return new Sequential([.. Enumerable.Range(start, length).Select(i => (names[i], layers[i]))]);
        }
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
