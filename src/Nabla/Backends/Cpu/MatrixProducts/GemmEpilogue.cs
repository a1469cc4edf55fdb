namespace Nabla.Backends.Cpu;

/// <summary>
/// What a GEMM does to each element of C as it stores the last block of depth: C[i, j] = act(C[i, j] + bias[j]),
/// the bias a row of C's width (a linear layer's per-output bias) or none. The micro-kernel applies it to its tile right
/// after storing it, while the tile is in L1, so a linear layer's bias and activation need no second pass over C
/// (<see cref="GemmKernels.ApplyEpilogue{T}"/> does the same for rows that are not stored by a kernel).
/// </summary>
/// <param name="bias">bias[j] for column j of C (n elements), or null for none.</param>
/// <param name="activation">The activation applied after the bias.</param>
internal readonly unsafe struct GemmEpilogue<T>(T* bias, GemmActivation activation)
    where T : unmanaged
{
    /// <summary>The bias for column 0 of the C this epilogue is handed with, or null.</summary>
    public readonly T* Bias = bias;

    /// <summary>The activation applied after the bias.</summary>
    public readonly GemmActivation Activation = activation;

    /// <summary>Whether this epilogue changes nothing (C is stored as summed).</summary>
    public bool IsNone => Bias == null && Activation == GemmActivation.None;

    /// <summary>The same epilogue for the columns from <paramref name="column"/> on (the bias advanced with them).</summary>
    public GemmEpilogue<T> From(long column) => Bias == null ? this : new(Bias + column, Activation);
}
