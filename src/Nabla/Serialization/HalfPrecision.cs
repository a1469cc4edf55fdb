using System.Buffers.Binary;

namespace Nabla.Serialization;

/// <summary>
/// Widening of the 16-bit float formats that files hold but Nabla has no dtype for: IEEE binary16
/// (<c>torch.float16</c>, safetensors F16) and bfloat16 (<c>torch.bfloat16</c>, BF16), both
/// little-endian. Every 16-bit value is exactly representable as a float32, so nothing is rounded.
/// </summary>
internal static class HalfPrecision
{
    /// <summary>Widens little-endian binary16 values to float32.</summary>
    public static void Float16ToFloat32(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i, 2)));
        }
    }

    /// <summary>Widens little-endian bfloat16 values to float32: bfloat16 is the upper half of a float32's bits.</summary>
    public static void BFloat16ToFloat32(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            uint bits = (uint)BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i, 2)) << 16;
            destination[i] = BitConverter.UInt32BitsToSingle(bits);
        }
    }
}
