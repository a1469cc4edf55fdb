namespace Nabla.Backends.Cpu;

/// <summary>
/// The GEMM micro-kernels, one file per instruction set. Each computes one tile of C from a panel of A and a
/// panel of B; its width in vectors is a type argument, so every width is the same source compiled to its
/// own straight-line code (the JIT folds <see cref="IColumnVectors.Count"/> to a constant per instantiation).
/// </summary>
internal static unsafe partial class GemmKernels
{
    /// <summary>A tile width, in vectors, chosen at compile time.</summary>
    public interface IColumnVectors
    {
        /// <summary>Vectors per tile row.</summary>
        static abstract int Count { get; }
    }

    /// <summary>Tiles one vector wide.</summary>
    public struct OneVector : IColumnVectors
    {
        /// <inheritdoc/>
        public static int Count => 1;
    }

    /// <summary>Tiles two vectors wide.</summary>
    public struct TwoVectors : IColumnVectors
    {
        /// <inheritdoc/>
        public static int Count => 2;
    }

    /// <summary>Tiles three vectors wide.</summary>
    public struct ThreeVectors : IColumnVectors
    {
        /// <inheritdoc/>
        public static int Count => 3;
    }

    /// <summary>Tiles four vectors wide.</summary>
    public struct FourVectors : IColumnVectors
    {
        /// <inheritdoc/>
        public static int Count => 4;
    }
}
