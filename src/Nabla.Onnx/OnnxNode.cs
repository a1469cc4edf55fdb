using Nabla.Onnx.Protobuf;

namespace Nabla.Onnx;

/// <summary>
/// One node of an imported ONNX graph as an operator sees it: its attributes (read with ONNX's defaults), its
/// inputs for this call (null where the model leaves an optional input empty) and the opset the model imports.
/// Every error it raises names the operator and the node.
/// </summary>
internal sealed class OnnxNode
{
    readonly Dictionary<string, AttributeProto> attributes = [];

    public OnnxNode(NodeProto proto, int index, long opset)
    {
        Proto = proto;
        Opset = opset;
        Name = string.IsNullOrEmpty(proto.Name) ? $"#{index}" : proto.Name;
        foreach (var attribute in proto.Attribute)
        {
            if (!string.IsNullOrEmpty(attribute.RefAttrName))
                throw new InvalidDataException($"Onnx.Load: {Describe()} refers to a function attribute '{attribute.RefAttrName}', which only ONNX functions may do.");
            attributes[attribute.Name] = attribute;
        }
    }

    /// <summary>The node as stored in the model.</summary>
    public NodeProto Proto { get; }

    /// <summary>The node's name, or <c>#index</c> for an unnamed node.</summary>
    public string Name { get; }

    /// <summary>The operator, e.g. <c>Conv</c>.</summary>
    public string OpType => Proto.OpType;

    /// <summary>The version of the default ONNX domain the model imports.</summary>
    public long Opset { get; }

    /// <summary>The tensors bound to the node's inputs for this call; null for an empty (omitted) optional input.</summary>
    public Tensor?[] Inputs { get; set; } = [];

    /// <summary><c>Conv node 'conv1'</c>: how errors name this node.</summary>
    public string Describe() => $"{OpType} node '{Name}'";

    /// <summary>An error that names the node, for a node this operator cannot run on its inputs or attributes.</summary>
    public InvalidOperationException Error(string message) => new($"Onnx: {Describe()}: {message}");

    /// <summary>Input <paramref name="index"/>, which the operator needs.</summary>
    public Tensor Input(int index) =>
        index < Inputs.Length && Inputs[index] is { } t ? t : throw Error($"input {index} is required but missing.");

    /// <summary>Input <paramref name="index"/> or null when the model omits it.</summary>
    public Tensor? OptionalInput(int index) => index < Inputs.Length ? Inputs[index] : null;

    /// <summary>The values of an integer input (a shape, axes, indices) read on the host.</summary>
    public long[] IntsOf(int index) => Input(index).ToArray<long>();

    /// <summary>True when the node sets <paramref name="name"/>.</summary>
    public bool Has(string name) => attributes.ContainsKey(name);

    /// <summary>The integer attribute <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public long Int(string name, long fallback) => attributes.TryGetValue(name, out var a) ? a.I : fallback;

    /// <summary>The float attribute <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public float Float(string name, float fallback) => attributes.TryGetValue(name, out var a) ? a.F : fallback;

    /// <summary>The string attribute <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public string String(string name, string fallback) => attributes.TryGetValue(name, out var a) ? a.S.ToStringUtf8() : fallback;

    /// <summary>The integer-list attribute <paramref name="name"/>, or null when absent.</summary>
    public long[]? Ints(string name) => attributes.TryGetValue(name, out var a) ? [.. a.Ints] : null;

    /// <summary>The float-list attribute <paramref name="name"/>, or null when absent.</summary>
    public float[]? Floats(string name) => attributes.TryGetValue(name, out var a) ? [.. a.Floats] : null;

    /// <summary>The tensor attribute <paramref name="name"/>, or null when absent.</summary>
    public Tensor? TensorAttribute(string name) =>
        attributes.TryGetValue(name, out var a) && a.T is { } t ? OnnxTensor.ToTensor(t, $"attribute '{name}' of {Describe()}") : null;

    /// <summary>The names of the attributes the node sets.</summary>
    public IEnumerable<string> AttributeNames => attributes.Keys;

    /// <summary>An axis attribute or value normalised against <paramref name="rank"/>, checked to lie in [−rank, rank).</summary>
    public int Axis(long axis, int rank)
    {
        if (axis < -rank || axis >= Math.Max(rank, 1)) throw Error($"axis {axis} is out of range for rank {rank}.");
        return (int)(axis < 0 ? axis + rank : axis);
    }
}
