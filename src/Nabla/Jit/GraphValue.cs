namespace Nabla.Jit;

/// <summary>
/// One tensor of a <see cref="Graph"/> (an SSA value, TorchScript's <c>%name</c>): its shape, dtype, and
/// where it comes from. In <see cref="Shape"/> the symbolic batch dimension is <see cref="Graph.Batch"/> (−1),
/// printed <c>N</c>; every other size is fixed by the trace.
/// </summary>
public sealed class GraphValue
{
    internal GraphValue(string name, int[] shape, DType dtype, ValueKind kind, Tensor? data = null)
    {
        Name = name;
        Shape = shape;
        DType = dtype;
        Kind = kind;
        Data = data;
    }

    /// <summary>Unique name in the graph: the input's name, a parameter's state-dict key, or a number for intermediates.</summary>
    public string Name { get; internal set; }

    /// <summary>Sizes per dimension; <see cref="Graph.Batch"/> marks the symbolic batch dimension.</summary>
    public int[] Shape { get; internal set; }

    /// <summary>Element type.</summary>
    public DType DType { get; internal set; }

    /// <summary>Input, parameter, buffer, constant or node output.</summary>
    public ValueKind Kind { get; internal set; }

    /// <summary>The tensor of a parameter, buffer or constant (the module's own tensor, not a copy); null for inputs and intermediates.</summary>
    public Tensor? Data { get; internal set; }

    /// <summary>The node that computes this value (null unless <see cref="Kind"/> is <see cref="ValueKind.Intermediate"/>).</summary>
    public GraphNode? Producer { get; internal set; }

    /// <summary>True when <see cref="Shape"/> holds the symbolic batch dimension.</summary>
    public bool HasBatchDim => Array.IndexOf(Shape, Graph.Batch) >= 0;

    /// <summary>The shape with the batch dimension set to <paramref name="batchSize"/>.</summary>
    public int[] ConcreteShape(int batchSize)
    {
        var dims = (int[])Shape.Clone();
        for (int i = 0; i < dims.Length; i++) if (dims[i] == Graph.Batch) dims[i] = batchSize;
        return dims;
    }

    /// <summary><c>%name : Float32[N, 784]</c>.</summary>
    public override string ToString() => $"%{Name} : {TypeString()}";

    internal string TypeString() =>
        $"{DType}[{string.Join(", ", Shape.Select(d => d == Graph.Batch ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}
