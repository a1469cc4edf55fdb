namespace Nabla.Backends.Cpu;

/// <summary>
/// The activation a GEMM's store epilogue applies to each element of C once its last block of depth is summed
/// (<see cref="GemmEpilogue{T}"/>): one value per product, not a delegate per element, so the micro-kernel switches
/// on it once per tile and applies the activation to the tile it has just stored.
/// </summary>
internal enum GemmActivation
{
    /// <summary>C is written as summed (plus the bias, if any).</summary>
    None,

    /// <summary>max(x, 0).</summary>
    Relu,

    /// <summary>1 / (1 + e⁻ˣ).</summary>
    Sigmoid,

    /// <summary>tanh x, computed as 1 − 2 / (e²ˣ + 1).</summary>
    Tanh,

    /// <summary>The exact GELU, x·Φ(x) = x/2 · (1 + erf(x/√2)) (PyTorch's default <c>approximate="none"</c>).</summary>
    Gelu,
}
