using System.Collections;

namespace Nabla.NN;

/// <summary>
/// Modules by name, in insertion order, whose parameters belong to the owner (<c>nn.ModuleDict</c>).
/// The keys become the children's names (<c>heads.cls.weight</c>).
/// </summary>
public sealed class ModuleDict : Module, IEnumerable<KeyValuePair<string, Module>>
{
    readonly OrderedDictionary<string, Module> items = new();

    /// <summary>An empty dictionary; fill it with the indexer or <see cref="Add"/>.</summary>
    public ModuleDict() { }

    /// <summary>A dictionary holding <paramref name="modules"/> in the given order.</summary>
    public ModuleDict(IEnumerable<KeyValuePair<string, Module>> modules)
    {
        foreach (var (name, module) in modules) this[name] = module;
    }

    /// <summary>Number of modules.</summary>
    public int Count => items.Count;

    /// <summary>The names, in insertion order.</summary>
    public IEnumerable<string> Keys => items.Keys;

    /// <summary>The modules, in insertion order.</summary>
    public IEnumerable<Module> Values => items.Values;

    /// <summary>The module named <paramref name="name"/>; setting adds or replaces it.</summary>
    public Module this[string name]
    {
        get => items.TryGetValue(name, out var m) ? m : throw new KeyNotFoundException($"ModuleDict: no module named \"{name}\"; keys are {string.Join(", ", items.Keys)}.");
        set
        {
            RegisterModule(name, value);
            items[name] = value;
        }
    }

    /// <summary>Adds a module under a new name.</summary>
    public void Add(string name, Module module)
    {
        if (items.ContainsKey(name)) throw new ArgumentException($"ModuleDict: a module named \"{name}\" already exists.", nameof(name));
        this[name] = module;
    }

    /// <summary>True when a module is stored under <paramref name="name"/>.</summary>
    public bool ContainsKey(string name) => items.ContainsKey(name);

    /// <summary>Removes the module named <paramref name="name"/> (<c>pop</c>); false when there is none.</summary>
    public bool Remove(string name) => items.Remove(name) && RemoveModule(name);

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, Module>> GetEnumerator() => items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
