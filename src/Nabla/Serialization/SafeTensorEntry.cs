namespace Nabla.Serialization;

/// <summary>
/// One tensor of a safetensors file at the raw level: its name, its dtype as the format spells it
/// (<c>"F32"</c>, <c>"I64"</c>, …), its shape and its bytes, little-endian and row-major.
/// </summary>
/// <param name="Name">Name of the tensor, e.g. <c>"features.0.weight"</c>; unique within a file.</param>
/// <param name="DType">Element type: F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, I16, I8, U64, U32, U16, U8 or BOOL.</param>
/// <param name="Shape">Size of each dimension; empty for a scalar.</param>
/// <param name="Data">Raw little-endian bytes: product of <paramref name="Shape"/> × the dtype's size.</param>
public sealed record SafeTensorEntry(string Name, string DType, long[] Shape, byte[] Data);
