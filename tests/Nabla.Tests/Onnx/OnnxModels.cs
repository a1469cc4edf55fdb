using Google.Protobuf;
using Nabla.Onnx;
using Nabla.Onnx.Protobuf;

namespace Nabla.Tests.Onnx;

/// <summary>Small ONNX models built node by node for the import tests, and the committed PyTorch exports.</summary>
internal static class OnnxModels
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "onnx", name + ".onnx");

    public static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims) shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    public static ValueInfoProto Unshaped(string name, TensorProto.Types.DataType type) =>
        new() { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type } } };

    public static NodeProto Node(string op, string name, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static ModelProto Model(IEnumerable<NodeProto> nodes, IEnumerable<ValueInfoProto> inputs, IEnumerable<ValueInfoProto> outputs,
        IEnumerable<(string Name, Tensor Value)>? initializers = null, long opset = 17)
    {
        var graph = new GraphProto { Name = "test" };
        graph.Node.AddRange(nodes);
        graph.Input.AddRange(inputs);
        graph.Output.AddRange(outputs);
        foreach (var (name, value) in initializers ?? []) graph.Initializer.Add(OnnxTensor.FromTensor(value, name));
        var model = new ModelProto { IrVersion = 8, ProducerName = "Nabla.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    public static OnnxModule Load(ModelProto model) => Nabla.Onnx.Onnx.Load(new MemoryStream(model.ToByteArray()), "test.onnx");

    /// <summary>Writes <paramref name="model"/> to a temporary file for ONNX Runtime; the caller deletes it.</summary>
    public static string Save(ModelProto model)
    {
        var path = Path.Combine(Path.GetTempPath(), $"nabla-onnx-{Guid.NewGuid():N}.onnx");
        OnnxFile.Write(model, path);
        return path;
    }
}
