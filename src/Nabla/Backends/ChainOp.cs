namespace Nabla.Backends;

/// <summary>An elementwise op that a compiled graph may fuse into one pass (<see cref="IBackend.UnaryChain"/>).</summary>
internal enum ChainOp
{
    /// <summary>max(x, 0).</summary>
    Relu,

    /// <summary>1 / (1 + e⁻ˣ).</summary>
    Sigmoid,

    /// <summary>tanh x.</summary>
    Tanh,

    /// <summary>−x.</summary>
    Neg,

    /// <summary>eˣ.</summary>
    Exp,
}
