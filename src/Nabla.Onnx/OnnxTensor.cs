using System.Runtime.InteropServices;
using Google.Protobuf;
using Nabla.Onnx.Protobuf;
using DataType = Nabla.Onnx.Protobuf.TensorProto.Types.DataType;

namespace Nabla.Onnx;

/// <summary>
/// Converts between ONNX's <c>TensorProto</c> and Nabla's <see cref="Tensor"/>. Reading accepts both encodings
/// ONNX allows: the little-endian <c>raw_data</c> bytes and the typed repeated fields (<c>float_data</c>,
/// <c>int32_data</c> holding the 16-bit patterns of float16/bfloat16 and the small integers, <c>int64_data</c>,
/// <c>double_data</c>, <c>uint64_data</c>). Types Nabla has no dtype for are widened without loss: float16 and
/// bfloat16 to Float32, int8/int16/uint16 to Int32, uint32 to Int64. Tensors stored in external files are
/// refused with a clear error (models over 2 GB; Nabla reads single-file models only). Writing always uses
/// <c>raw_data</c>, as the ONNX exporters do.
/// </summary>
internal static class OnnxTensor
{
    /// <summary>The tensor held by <paramref name="proto"/>; errors name it as <paramref name="context"/> (e.g. the initializer).</summary>
    public static Tensor ToTensor(TensorProto proto, string context)
    {
        string name = $"{context} '{proto.Name}'";
        if (proto.DataLocation == TensorProto.Types.DataLocation.External || proto.ExternalData.Count > 0)
            throw new InvalidDataException($"Onnx.Load: {name} keeps its data in an external file; Nabla reads only models whose tensors are stored inside the .onnx file.");
        if (proto.Segment is not null)
            throw new InvalidDataException($"Onnx.Load: {name} is a segment of a split tensor, which Nabla does not read.");
        var shape = new int[proto.Dims.Count];
        long count = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            long size = proto.Dims[d];
            if (size < 0 || size > int.MaxValue)
                throw new InvalidDataException($"Onnx.Load: {name} has an invalid size {size} in dimension {d} (dims [{string.Join(", ", proto.Dims)}]).");
            shape[d] = (int)size;
            count = checked(count * size);
            if (count > int.MaxValue)
                throw new InvalidDataException($"Onnx.Load: {name} has {count}+ elements (dims [{string.Join(", ", proto.Dims)}]), more than one Nabla tensor holds.");
        }
        var type = (DataType)proto.DataType;
        bool raw = proto.HasRawData;
        return type switch
        {
            DataType.Float => Build(raw ? FromRaw<float>(proto, name, count) : Typed(proto.FloatData, name, count), shape),
            DataType.Double => Build(raw ? FromRaw<double>(proto, name, count) : Typed(proto.DoubleData, name, count), shape),
            DataType.Int64 => Build(raw ? FromRaw<long>(proto, name, count) : Typed(proto.Int64Data, name, count), shape),
            DataType.Int32 => Build(raw ? FromRaw<int>(proto, name, count) : Typed(proto.Int32Data, name, count), shape),
            DataType.Uint8 => Build(raw ? FromRaw<byte>(proto, name, count) : Narrowed(proto.Int32Data, name, count, static v => (byte)v), shape),
            DataType.Bool => Build(raw ? Convert(FromRaw<byte>(proto, name, count), static v => v != 0) : Narrowed(proto.Int32Data, name, count, static v => v != 0), shape),
            DataType.Int8 => Build(raw ? Convert(FromRaw<sbyte>(proto, name, count), static v => (int)v) : Narrowed(proto.Int32Data, name, count, static v => (int)(sbyte)v), shape),
            DataType.Int16 => Build(raw ? Convert(FromRaw<short>(proto, name, count), static v => (int)v) : Narrowed(proto.Int32Data, name, count, static v => (int)(short)v), shape),
            DataType.Uint16 => Build(raw ? Convert(FromRaw<ushort>(proto, name, count), static v => (int)v) : Narrowed(proto.Int32Data, name, count, static v => (int)(ushort)v), shape),
            DataType.Uint32 => Build(raw ? Convert(FromRaw<uint>(proto, name, count), static v => (long)v) : Narrowed(proto.Uint64Data, name, count, static v => (long)(uint)v), shape),
            DataType.Float16 => Build(raw ? Convert(FromRaw<Half>(proto, name, count), static v => (float)v) : Narrowed(proto.Int32Data, name, count, static v => (float)BitConverter.UInt16BitsToHalf((ushort)v)), shape),
            DataType.Bfloat16 => Build(raw ? Convert(FromRaw<ushort>(proto, name, count), BFloat16ToSingle) : Narrowed(proto.Int32Data, name, count, static v => BFloat16ToSingle((ushort)v)), shape),
            _ => throw new InvalidDataException($"Onnx.Load: {name} has element type {DataTypeName(proto.DataType)}, which Nabla has no dtype for."),
        };
    }

    /// <summary>A <c>TensorProto</c> named <paramref name="name"/> holding <paramref name="tensor"/>'s values in <c>raw_data</c>.</summary>
    public static TensorProto FromTensor(Tensor tensor, string name)
    {
        var proto = new TensorProto { Name = name, DataType = (int)OnnxType(tensor.DType) };
        foreach (int size in tensor.Shape) proto.Dims.Add(size);
        var values = tensor.Detach().Contiguous();
        proto.RawData = tensor.DType switch
        {
            DType.Float32 => Bytes(values.ToArray<float>()),
            DType.Float64 => Bytes(values.ToArray<double>()),
            DType.Int64 => Bytes(values.ToArray<long>()),
            DType.Int32 => Bytes(values.ToArray<int>()),
            DType.UInt8 => Bytes(values.ToArray<byte>()),
            _ => Bytes(Convert(values.ToArray<bool>(), static v => v ? (byte)1 : (byte)0)),
        };
        return proto;
    }

    /// <summary>The ONNX element type that stores a Nabla dtype.</summary>
    public static DataType OnnxType(DType dtype) => dtype switch
    {
        DType.Float32 => DataType.Float,
        DType.Float64 => DataType.Double,
        DType.Int64 => DataType.Int64,
        DType.Int32 => DataType.Int32,
        DType.UInt8 => DataType.Uint8,
        _ => DataType.Bool,
    };

    /// <summary>The Nabla dtype that an ONNX element type is read into (after the widenings described on the class).</summary>
    public static DType NablaType(long onnxType, string context) => (DataType)onnxType switch
    {
        DataType.Float or DataType.Float16 or DataType.Bfloat16 => DType.Float32,
        DataType.Double => DType.Float64,
        DataType.Int64 or DataType.Uint32 => DType.Int64,
        DataType.Int32 or DataType.Int8 or DataType.Int16 or DataType.Uint16 => DType.Int32,
        DataType.Uint8 => DType.UInt8,
        DataType.Bool => DType.Bool,
        _ => throw new InvalidDataException($"Onnx.Load: {context} uses element type {DataTypeName(onnxType)}, which Nabla has no dtype for."),
    };

    /// <summary>ONNX's name of an element type (<c>FLOAT</c>, <c>STRING</c>, …), or its number when unknown.</summary>
    public static string DataTypeName(long onnxType) =>
        Enum.IsDefined(typeof(DataType), (int)onnxType) && onnxType is >= 0 and <= int.MaxValue
            ? ((DataType)onnxType).ToString().ToUpperInvariant()
            : $"#{onnxType}";

    static Tensor Build<T>(T[] values, int[] shape) where T : unmanaged => Tensor.From(values, shape);

    static T[] FromRaw<T>(TensorProto proto, string name, long count) where T : unmanaged
    {
        var bytes = proto.RawData.Span;
        long expected = count * Marshal.SizeOf<T>();
        if (bytes.Length != expected)
            throw new InvalidDataException($"Onnx.Load: {name} has {bytes.Length} bytes of raw_data, but dims [{string.Join(", ", proto.Dims)}] of {DataTypeName(proto.DataType)} need {expected}.");
        // ONNX stores raw_data little-endian; .NET on every platform Nabla targets is little-endian too.
        return MemoryMarshal.Cast<byte, T>(bytes).ToArray();
    }

    static T[] Typed<T>(Google.Protobuf.Collections.RepeatedField<T> field, string name, long count) where T : unmanaged
    {
        if (field.Count != count)
            throw new InvalidDataException($"Onnx.Load: {name} holds {field.Count} values, but its dims need {count}.");
        var values = new T[field.Count];
        field.CopyTo(values, 0);
        return values;
    }

    static TOut[] Narrowed<TIn, TOut>(Google.Protobuf.Collections.RepeatedField<TIn> field, string name, long count, Func<TIn, TOut> convert)
    {
        if (field.Count != count)
            throw new InvalidDataException($"Onnx.Load: {name} holds {field.Count} values, but its dims need {count}.");
        var values = new TOut[field.Count];
        for (int i = 0; i < values.Length; i++) values[i] = convert(field[i]);
        return values;
    }

    static TOut[] Convert<TIn, TOut>(TIn[] values, Func<TIn, TOut> convert)
    {
        var result = new TOut[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = convert(values[i]);
        return result;
    }

    /// <summary>The bfloat16 nearest to <paramref name="value"/> (ties to even), as a float32.</summary>
    public static float RoundToBFloat16(float value)
    {
        if (float.IsNaN(value)) return value;
        uint bits = BitConverter.SingleToUInt32Bits(value);
        bits += 0x7FFF + ((bits >> 16) & 1);
        return BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000);
    }

    // bfloat16 is the top half of a float32's bits.
    static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    static ByteString Bytes<T>(T[] values) where T : unmanaged =>
        ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
}
