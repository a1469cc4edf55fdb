using System.Text;

namespace Nabla.Jit;

/// <summary>
/// A static graph (define-then-run): the whole forward of a model as a list of typed <see cref="GraphNode"/>s in
/// execution order, over SSA <see cref="GraphValue"/>s. Made by <see cref="Jit.Trace(NN.Module{Tensor, Tensor}, Tensor)"/>,
/// rewritten by the passes in <see cref="GraphPasses"/>, run by <see cref="CompiledModule"/>, written by ONNX export.
/// <para>Shape of the object: <see cref="Inputs"/> (what each call passes; dimension 0 of each is usually the
/// symbolic batch, <see cref="Batch"/>), <see cref="Parameters"/> (parameters and buffers, named by their
/// state-dict keys, holding the module's tensors), <see cref="Constants"/>, <see cref="Nodes"/> (topological
/// order) and <see cref="Outputs"/>. <see cref="ToString"/> prints it like TorchScript's <c>graph</c> dump.</para>
/// </summary>
public sealed class Graph
{
    /// <summary>The size that stands for the symbolic batch dimension in shapes and shape attributes (−1, printed <c>N</c>).</summary>
    public const int Batch = -1;

    internal readonly List<GraphValue> InputList = [];
    internal readonly List<GraphValue> ParameterList = [];
    internal readonly List<GraphValue> ConstantList = [];
    internal readonly List<GraphNode> NodeList = [];
    internal readonly List<GraphValue> OutputList = [];
    int nextId;

    /// <summary>The graph's inputs, in call order.</summary>
    public IReadOnlyList<GraphValue> Inputs => InputList;

    /// <summary>Parameters and buffers (<see cref="ValueKind.Parameter"/>, <see cref="ValueKind.Buffer"/>) the nodes read, named by state-dict key.</summary>
    public IReadOnlyList<GraphValue> Parameters => ParameterList;

    /// <summary>Constant tensors the nodes read (made by the forward without reading an input, or by constant folding).</summary>
    public IReadOnlyList<GraphValue> Constants => ConstantList;

    /// <summary>The ops, in an order where each node comes after the producers of its inputs.</summary>
    public IReadOnlyList<GraphNode> Nodes => NodeList;

    /// <summary>The values the graph returns, in order.</summary>
    public IReadOnlyList<GraphValue> Outputs => OutputList;

    internal GraphValue AddInput(string name, int[] shape, DType dtype)
    {
        var value = new GraphValue(name, shape, dtype, ValueKind.Input);
        InputList.Add(value);
        return value;
    }

    internal GraphValue AddParameter(string name, Tensor data, ValueKind kind)
    {
        var value = new GraphValue(name, data.Shape.ToArray(), data.DType, kind, data);
        ParameterList.Add(value);
        return value;
    }

    internal GraphValue AddConstant(Tensor data)
    {
        var value = new GraphValue("c" + nextId++, data.Shape.ToArray(), data.DType, ValueKind.Constant, data);
        ConstantList.Add(value);
        return value;
    }

    internal GraphValue NewValue(int[] shape, DType dtype) => new((nextId++).ToString(System.Globalization.CultureInfo.InvariantCulture), shape, dtype, ValueKind.Intermediate);

    internal GraphNode AddNode(string op, IReadOnlyDictionary<string, object> attributes, GraphValue?[] inputs, GraphValue[] outputs, string scope = "")
    {
        var node = new GraphNode(op, attributes, inputs, outputs, scope);
        foreach (var output in outputs) output.Producer = node;
        NodeList.Add(node);
        return node;
    }

    /// <summary>Nodes that read <paramref name="value"/>.</summary>
    public IEnumerable<GraphNode> Users(GraphValue value) => NodeList.Where(n => n.InputList.Contains(value));

    /// <summary>Replaces every use of <paramref name="old"/> (node inputs and graph outputs) by <paramref name="replacement"/>.</summary>
    internal void ReplaceUses(GraphValue old, GraphValue replacement)
    {
        foreach (var node in NodeList)
            for (int i = 0; i < node.InputList.Length; i++)
                if (ReferenceEquals(node.InputList[i], old)) node.InputList[i] = replacement;
        for (int i = 0; i < OutputList.Count; i++)
            if (ReferenceEquals(OutputList[i], old)) OutputList[i] = replacement;
    }

    /// <summary>Drops parameters and constants no node reads and no output returns.</summary>
    internal void PruneUnusedData()
    {
        var used = new HashSet<GraphValue>(ReferenceEqualityComparer.Instance);
        foreach (var node in NodeList) foreach (var input in node.InputList) if (input != null) used.Add(input);
        foreach (var output in OutputList) used.Add(output);
        ParameterList.RemoveAll(p => !used.Contains(p));
        ConstantList.RemoveAll(c => !used.Contains(c));
    }

    /// <summary>A deep copy of the structure (nodes and values); parameter and constant tensors are shared.</summary>
    public Graph Clone()
    {
        var copy = new Graph { nextId = nextId };
        var map = new Dictionary<GraphValue, GraphValue>(ReferenceEqualityComparer.Instance);
        GraphValue Copy(GraphValue v) => new(v.Name, (int[])v.Shape.Clone(), v.DType, v.Kind, v.Data);
        foreach (var v in InputList) copy.InputList.Add(map[v] = Copy(v));
        foreach (var v in ParameterList) copy.ParameterList.Add(map[v] = Copy(v));
        foreach (var v in ConstantList) copy.ConstantList.Add(map[v] = Copy(v));
        foreach (var node in NodeList)
        {
            var inputs = node.InputList.Select(i => i is null ? null : map[i]).ToArray();
            var outputs = node.OutputList.Select(o => map[o] = Copy(o)).ToArray();
            copy.AddNode(node.Op, new Dictionary<string, object>(node.Attributes), inputs, outputs, node.Scope);
        }
        foreach (var v in OutputList) copy.OutputList.Add(map[v]);
        return copy;
    }

    /// <summary>
    /// The graph in TorchScript's dump style: a header with the inputs, parameters and constants, one line
    /// per node (<c>%3 : Float32[N, 256] = Linear(%input, %fc1.weight, %fc1.bias)  # fc1</c>), then <c>return</c>.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder("graph(");
        var header = InputList.Concat(ParameterList).Concat(ConstantList).Select(v => v.ToString()).ToList();
        text.Append(string.Join(",\n      ", header)).Append("):\n");
        foreach (var node in NodeList) text.Append("  ").Append(node).Append('\n');
        text.Append("  return (").Append(string.Join(", ", OutputList.Select(o => "%" + o.Name))).Append(")\n");
        return text.ToString();
    }
}
