using System.Globalization;

namespace Nabla.Jit;

/// <summary>
/// One op of a <see cref="Graph"/>: its name (see <see cref="GraphOps"/> for the vocabulary and each op's
/// attributes), its attributes (ints, doubles, bools, strings, <c>int[]</c>), its inputs (null where an
/// optional input such as a bias is absent) and its outputs.
/// </summary>
public sealed class GraphNode
{
    internal GraphNode(string op, IReadOnlyDictionary<string, object> attributes, GraphValue?[] inputs, GraphValue[] outputs, string scope)
    {
        Op = op;
        Attributes = attributes;
        InputList = inputs;
        OutputList = outputs;
        Scope = scope;
    }

    internal GraphValue?[] InputList;
    internal GraphValue[] OutputList;

    /// <summary>The op's name, one of <see cref="GraphOps"/> (e.g. <c>Linear</c>, <c>Conv2d</c>, <c>Relu</c>).</summary>
    public string Op { get; internal set; }

    /// <summary>The op's attributes by name (e.g. <c>stride</c> → <c>int[] {1, 1}</c>); shape-like <c>int[]</c> attributes use <see cref="Graph.Batch"/> for the batch size.</summary>
    public IReadOnlyDictionary<string, object> Attributes { get; internal set; }

    /// <summary>The values the op reads, in the op's argument order; null for an absent optional input.</summary>
    public IReadOnlyList<GraphValue?> Inputs => InputList;

    /// <summary>The values the op writes (most ops have one).</summary>
    public IReadOnlyList<GraphValue> Outputs => OutputList;

    /// <summary>The module path that ran the op (<c>features.0</c>), empty at the top level: names for ONNX nodes and error messages.</summary>
    public string Scope { get; internal set; }

    /// <summary>The attribute <paramref name="name"/> as <typeparamref name="T"/>.</summary>
    public T Attribute<T>(string name) =>
        Attributes.TryGetValue(name, out var value) ? (T)value : throw new KeyNotFoundException($"{Op}: the node has no attribute '{name}'.");

    /// <summary>One line of the graph dump: <c>%3 : Float32[N, 256] = Linear(%input, %fc1.weight, %fc1.bias)</c>.</summary>
    public override string ToString()
    {
        var outputs = string.Join(", ", OutputList.Select(o => o.ToString()));
        var attributes = Attributes.Count == 0 ? "" : "[" + string.Join(", ", Attributes.Select(a => $"{a.Key}={FormatAttribute(a.Value)}")) + "]";
        var inputs = string.Join(", ", InputList.Select(i => i is null ? "None" : "%" + i.Name));
        var scope = Scope.Length == 0 ? "" : $"  # {Scope}";
        return $"{outputs} = {Op}{attributes}({inputs}){scope}";
    }

    internal static string FormatAttribute(object value) => value switch
    {
        int[] ints => "[" + string.Join(", ", ints.Select(i => i == Graph.Batch ? "N" : i.ToString(CultureInfo.InvariantCulture))) + "]",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        string s => "\"" + s + "\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
