using Google.Protobuf;
using Nabla.Onnx;
using Nabla.Onnx.Protobuf;
using DataType = Nabla.Onnx.Protobuf.TensorProto.Types.DataType;

namespace Nabla.Tests.Onnx;

public class OnnxTensorTests
{
    static TensorProto Proto(DataType type, params long[] dims)
    {
        var proto = new TensorProto { Name = "t", DataType = (int)type };
        proto.Dims.AddRange(dims);
        return proto;
    }

    public static TheoryData<DType> DTypes => new() { DType.Float32, DType.Float64, DType.Int64, DType.Int32, DType.UInt8, DType.Bool };

    [Theory]
    [MemberData(nameof(DTypes))]
    public void Tensor_written_to_raw_data_reads_back_equal(DType dtype)
    {
        var values = Tensor.From(new double[] { 0, 1, 2, 0, 5, 1 }, 2, 3).To(dtype);
        var proto = OnnxTensor.FromTensor(values.Transpose(0, 1), "w"); // a non-contiguous view is written in row-major order
        Assert.Equal("w", proto.Name);
        Assert.Equal([3L, 2L], proto.Dims);
        Assert.Equal(6 * dtype.ElementSize(), proto.RawData.Length);
        var back = OnnxTensor.ToTensor(proto, "test");
        Assert.Equal(dtype, back.DType);
        Assert.Equal(values.Transpose(0, 1).ToArray<double>(), back.ToArray<double>());
    }

    [Fact]
    public void Typed_fields_are_read_for_every_type()
    {
        var floats = Proto(DataType.Float, 2);
        floats.FloatData.AddRange([1.5f, -2f]);
        Assert.Equal([1.5f, -2f], OnnxTensor.ToTensor(floats, "t").ToArray<float>());

        var doubles = Proto(DataType.Double, 2);
        doubles.DoubleData.AddRange([0.25, 1e300]);
        Assert.Equal([0.25, 1e300], OnnxTensor.ToTensor(doubles, "t").ToArray<double>());

        var longs = Proto(DataType.Int64, 1, 2);
        longs.Int64Data.AddRange([long.MinValue, 7]);
        var read = OnnxTensor.ToTensor(longs, "t");
        Assert.Equal([1, 2], read.Shape.ToArray());
        Assert.Equal([long.MinValue, 7L], read.ToArray<long>());

        var bools = Proto(DataType.Bool, 3);
        bools.Int32Data.AddRange([1, 0, 1]);
        Assert.Equal([true, false, true], OnnxTensor.ToTensor(bools, "t").ToArray<bool>());

        var bytes = Proto(DataType.Uint8, 2);
        bytes.Int32Data.AddRange([255, 3]);
        Assert.Equal([(byte)255, (byte)3], OnnxTensor.ToTensor(bytes, "t").ToArray<byte>());

        var int8 = Proto(DataType.Int8, 2);
        int8.Int32Data.AddRange([-128, 127]);
        Assert.Equal([-128, 127], OnnxTensor.ToTensor(int8, "t").ToArray<int>());

        var scalar = Proto(DataType.Int32);
        scalar.Int32Data.Add(42);
        var s = OnnxTensor.ToTensor(scalar, "t");
        Assert.Equal(0, s.Rank);
        Assert.Equal(42, s.Item<int>());
    }

    [Fact]
    public void Float16_and_bfloat16_widen_to_float32_from_raw_and_typed_fields()
    {
        var halves = new[] { (Half)1.5f, (Half)(-0.099975586f), Half.PositiveInfinity };
        var raw = Proto(DataType.Float16, 3);
        raw.RawData = ByteString.CopyFrom(halves.SelectMany(h => BitConverter.GetBytes(h)).ToArray());
        var typed = Proto(DataType.Float16, 3);
        typed.Int32Data.AddRange(halves.Select(h => (int)BitConverter.HalfToUInt16Bits(h)));
        float[] expected = [1.5f, -0.099975586f, float.PositiveInfinity];
        Assert.Equal(DType.Float32, OnnxTensor.ToTensor(raw, "t").DType);
        Assert.Equal(expected, OnnxTensor.ToTensor(raw, "t").ToArray<float>());
        Assert.Equal(expected, OnnxTensor.ToTensor(typed, "t").ToArray<float>());

        // bfloat16 is the upper half of float32: 0x3FC0 is 1.5, 0xC000 is −2.
        var bf16 = Proto(DataType.Bfloat16, 2);
        bf16.RawData = ByteString.CopyFrom([0xC0, 0x3F, 0x00, 0xC0]);
        Assert.Equal([1.5f, -2f], OnnxTensor.ToTensor(bf16, "t").ToArray<float>());
        Assert.Equal(1.5f, OnnxTensor.RoundToBFloat16(1.50390625f)); // halfway rounds to even
        Assert.Equal(1.515625f, OnnxTensor.RoundToBFloat16(1.513f));
        Assert.Equal(1.5078125f, OnnxTensor.RoundToBFloat16(1.51f));
    }

    [Fact]
    public void External_data_is_refused_clearly()
    {
        var proto = Proto(DataType.Float, 4);
        proto.Name = "big.weight";
        proto.DataLocation = TensorProto.Types.DataLocation.External;
        proto.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        var error = Assert.Throws<InvalidDataException>(() => OnnxTensor.ToTensor(proto, "initializer"));
        Assert.Contains("'big.weight'", error.Message);
        Assert.Contains("external", error.Message);
    }

    [Fact]
    public void Inconsistent_or_unsupported_tensors_are_clear_errors()
    {
        var shortRaw = Proto(DataType.Float, 2, 2);
        shortRaw.RawData = ByteString.CopyFrom(new byte[12]);
        Assert.Contains("12 bytes", Assert.Throws<InvalidDataException>(() => OnnxTensor.ToTensor(shortRaw, "t")).Message);

        var fewValues = Proto(DataType.Int64, 3);
        fewValues.Int64Data.Add(1);
        Assert.Contains("holds 1 values", Assert.Throws<InvalidDataException>(() => OnnxTensor.ToTensor(fewValues, "t")).Message);

        var negative = Proto(DataType.Float, 2, -1);
        Assert.Contains("invalid size -1", Assert.Throws<InvalidDataException>(() => OnnxTensor.ToTensor(negative, "t")).Message);

        var huge = Proto(DataType.Float, 1L << 20, 1L << 20);
        Assert.Contains("more than one Nabla tensor holds", Assert.Throws<InvalidDataException>(() => OnnxTensor.ToTensor(huge, "t")).Message);

        var strings = Proto(DataType.String, 1);
        strings.StringData.Add(ByteString.CopyFromUtf8("x"));
        Assert.Contains("STRING", Assert.Throws<InvalidDataException>(() => OnnxTensor.ToTensor(strings, "t")).Message);
    }
}
