using System.Collections;
using System.Globalization;

namespace Nabla.NN;

/// <summary>
/// A list of modules whose parameters belong to the owner (<c>nn.ModuleList</c>): children are
/// named "0", "1", …. It has no forward of its own; the owner decides how to call them.
/// </summary>
public sealed class ModuleList : Module, IReadOnlyList<Module>
{
    readonly List<Module> items = [];

    /// <summary>A list holding <paramref name="modules"/>.</summary>
    public ModuleList(params IEnumerable<Module> modules) => Extend(modules);

    /// <summary>Number of modules.</summary>
    public int Count => items.Count;

    /// <summary>The module at <paramref name="index"/> (negative counts from the end); setting replaces it.</summary>
    public Module this[int index]
    {
        get => items[Normalize(index)];
        set
        {
            int i = Normalize(index);
            items[i] = value;
            RegisterModule(i.ToString(CultureInfo.InvariantCulture), value);
        }
    }

    int Normalize(int index)
    {
        int i = index < 0 ? index + items.Count : index;
        if (i < 0 || i >= items.Count) throw new ArgumentOutOfRangeException(nameof(index), $"ModuleList: index {index} is out of range for {items.Count} modules.");
        return i;
    }

    /// <summary>Adds a module at the end (<c>append</c>).</summary>
    public ModuleList Append(Module module)
    {
        RegisterModule(items.Count.ToString(CultureInfo.InvariantCulture), module);
        items.Add(module);
        return this;
    }

    /// <summary>Same as <see cref="Append"/>; enables collection initializers.</summary>
    public void Add(Module module) => Append(module);

    /// <summary>Adds several modules at the end (<c>extend</c>).</summary>
    public ModuleList Extend(IEnumerable<Module> modules)
    {
        foreach (var module in modules) Append(module);
        return this;
    }

    /// <summary>Inserts a module before <paramref name="index"/>; later modules are renumbered (<c>insert</c>).</summary>
    public void Insert(int index, Module module)
    {
        items.Insert(index < 0 ? index + items.Count : index, module);
        Renumber();
    }

    /// <summary>Removes the module at <paramref name="index"/>; later modules are renumbered.</summary>
    public void RemoveAt(int index)
    {
        items.RemoveAt(Normalize(index));
        Renumber();
    }

    void Renumber()
    {
        ClearModules();
        for (int i = 0; i < items.Count; i++) RegisterModule(i.ToString(CultureInfo.InvariantCulture), items[i]);
    }

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
