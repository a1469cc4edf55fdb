using Nabla.Onnx.Protobuf;

namespace Nabla.Pretrained;

/// <summary>
/// The initializers of an ONNX model as Nabla tensors (float32 and int64, from <c>raw_data</c> or the
/// typed fields), and the attribute reading the loaders check the graph with. A tensor whose data does
/// not fill its dims is an <see cref="InvalidDataException"/> naming the model and the tensor.
/// </summary>
internal static class OnnxWeights
{
    /// <summary>Every initializer of <paramref name="model"/> by name.</summary>
    public static Dictionary<string, Tensor> Initializers(ModelProto model, string modelName)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var initializer in model.Graph.Initializer) result[initializer.Name] = ToTensor(initializer, modelName);
        return result;
    }

    /// <summary>One ONNX tensor as a Nabla tensor (a copy).</summary>
    public static Tensor ToTensor(TensorProto proto, string modelName)
    {
        int[] shape = [.. proto.Dims.Select(d => checked((int)d))];
        long count = shape.Aggregate(1L, (a, d) => a * d);
        switch ((TensorProto.Types.DataType)proto.DataType)
        {
            case TensorProto.Types.DataType.Float:
                {
                    float[] data = proto.RawData.Length > 0 ? FromRaw<float>(proto, count, modelName) : [.. proto.FloatData];
                    Check(proto, data.Length, count, modelName);
                    return Tensor.From(data, shape);
                }
            case TensorProto.Types.DataType.Int64:
                {
                    long[] data = proto.RawData.Length > 0 ? FromRaw<long>(proto, count, modelName) : [.. proto.Int64Data];
                    Check(proto, data.Length, count, modelName);
                    return Tensor.From(data, shape);
                }
            default:
                throw new InvalidDataException($"Nabla.Pretrained: initializer '{proto.Name}' of {modelName} has ONNX data type {proto.DataType}; only float32 and int64 are read.");
        }
    }

    static T[] FromRaw<T>(TensorProto proto, long count, string modelName) where T : unmanaged
    {
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (proto.RawData.Length != count * size)
            throw new InvalidDataException($"Nabla.Pretrained: initializer '{proto.Name}' of {modelName} has {proto.RawData.Length} bytes of raw data, dims [{string.Join(", ", proto.Dims)}] need {count * size}.");
        var data = new T[count];
        // ONNX raw data is little-endian, as every platform .NET runs Nabla on.
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(proto.RawData.Span).CopyTo(data);
        return data;
    }

    static void Check(TensorProto proto, long length, long count, string modelName)
    {
        if (length != count)
            throw new InvalidDataException($"Nabla.Pretrained: initializer '{proto.Name}' of {modelName} holds {length} values, dims [{string.Join(", ", proto.Dims)}] need {count}.");
    }

    /// <summary>The integer list attribute <paramref name="name"/> of <paramref name="node"/>, or null.</summary>
    public static long[]? Ints(NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } attribute ? [.. attribute.Ints] : null;
}
