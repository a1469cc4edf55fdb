using System.Numerics;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The GEMM micro-kernels, one file per instruction set. Each computes one tile of C from a panel of A and a
/// panel of B; its width in vectors and its height in rows are type arguments, so every shape is the same source
/// compiled to its own straight-line code (the JIT folds <see cref="IColumnVectors.Count"/> and
/// <see cref="IRowCount.Count"/> to constants per instantiation). The full tile serves the bulk of a product;
/// the narrower and shorter ones its ragged last panel and row tile, straight into C.
/// </summary>
internal static unsafe partial class GemmKernels
{
    /// <summary>Most vectors per tile row on any path (AVX-512).</summary>
    public const int MaxVectors = 4;

    /// <summary>
    /// The micro-kernels of one path and element type, indexed by <see cref="Index"/>: every height from one row to
    /// the path's full tile, every width from one vector to its widest (null beyond it). The argument after
    /// <c>accumulate</c> is the store's epilogue (<see cref="GemmEpilogue{T}"/>; default: none), applied to the tile once it
    /// is stored (<c>FinishTile</c>). The last two arguments name
    /// bytes to fetch toward L2 while the tile is computed (null and 0: none), a hint that only the AVX-512 kernel
    /// acts on (<see cref="Avx512{T, TColumns, TRows}"/>); the AVX2 and portable kernels were not measured with it.
    /// </summary>
    public static delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[] Table<T>(CpuIsa isa)
        where T : unmanaged, INumber<T> => isa switch
        {
            CpuIsa.Avx512 => Tables<T>.Avx512,
            CpuIsa.Avx2 => Tables<T>.Avx2,
            _ => Tables<T>.Portable,
        };

    /// <summary>
    /// The full tile of a path for element type <typeparamref name="T"/>: its rows, the elements of one vector, and
    /// its width in vectors (6 × 4 zmm on AVX-512, 6 × 2 ymm on AVX2, 4 × 2 <c>Vector&lt;T&gt;</c> otherwise).
    /// </summary>
    public static (int Rows, int Vector, int Vectors) TileShape<T>(CpuIsa isa)
        where T : unmanaged => isa switch
        {
            CpuIsa.Avx512 => (Avx512Rows, Vector512<T>.Count, 4),
            CpuIsa.Avx2 => (Avx2Rows, Vector256<T>.Count, 2),
            _ => (PortableRows, Vector<T>.Count, 2),
        };

    /// <summary>Position of the kernel for a tile of <paramref name="rows"/> rows and <paramref name="vectors"/> vectors in a <see cref="Table{T}"/>.</summary>
    public static int Index(int rows, int vectors) => ((rows - 1) * MaxVectors) + vectors - 1;

    private static class Tables<T>
        where T : unmanaged, INumber<T>
    {
        public static readonly delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[] Avx512 = BuildAvx512();
        public static readonly delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[] Avx2 = BuildAvx2();
        public static readonly delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[] Portable = BuildPortable();

        private static delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[] BuildAvx512()
        {
            var table = new delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[Avx512Rows * MaxVectors];
            AddAvx512<OneRow>(table);
            AddAvx512<TwoRows>(table);
            AddAvx512<ThreeRows>(table);
            AddAvx512<FourRows>(table);
            AddAvx512<FiveRows>(table);
            AddAvx512<SixRows>(table);
            return table;
        }

        private static void AddAvx512<TRows>(delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[] table)
            where TRows : struct, IRowCount
        {
            table[Index(TRows.Count, 1)] = &Avx512<T, OneVector, TRows>;
            table[Index(TRows.Count, 2)] = &Avx512<T, TwoVectors, TRows>;
            table[Index(TRows.Count, 3)] = &Avx512<T, ThreeVectors, TRows>;
            table[Index(TRows.Count, 4)] = &Avx512<T, FourVectors, TRows>;
        }

        private static delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[] BuildAvx2()
        {
            var table = new delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[Avx2Rows * MaxVectors];
            AddAvx2<OneRow>(table);
            AddAvx2<TwoRows>(table);
            AddAvx2<ThreeRows>(table);
            AddAvx2<FourRows>(table);
            AddAvx2<FiveRows>(table);
            AddAvx2<SixRows>(table);
            return table;
        }

        private static void AddAvx2<TRows>(delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[] table)
            where TRows : struct, IRowCount
        {
            table[Index(TRows.Count, 1)] = &Narrow<Avx2Lanes<T>, Vector256<T>, T, OneVector, TRows>;
            table[Index(TRows.Count, 2)] = &Narrow<Avx2Lanes<T>, Vector256<T>, T, TwoVectors, TRows>;
        }

        private static delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[] BuildPortable()
        {
            var table = new delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[PortableRows * MaxVectors];
            AddPortable<OneRow>(table);
            AddPortable<TwoRows>(table);
            AddPortable<ThreeRows>(table);
            AddPortable<FourRows>(table);
            return table;
        }

        private static void AddPortable<TRows>(delegate*<long, T*, long, long, T*, long, T*, long, bool, GemmEpilogue<T>, byte*, long, void>[] table)
            where TRows : struct, IRowCount
        {
            table[Index(TRows.Count, 1)] = &Narrow<PortableLanes<T>, Vector<T>, T, OneVector, TRows>;
            table[Index(TRows.Count, 2)] = &Narrow<PortableLanes<T>, Vector<T>, T, TwoVectors, TRows>;
        }
    }

    /// <summary>A tile height, in rows, chosen at compile time.</summary>
    public interface IRowCount
    {
        /// <summary>Rows per tile.</summary>
        static abstract int Count { get; }
    }

    /// <summary>Tiles of one row.</summary>
    public struct OneRow : IRowCount
    {
        /// <inheritdoc/>
        public static int Count => 1;
    }

    /// <summary>Tiles of two rows.</summary>
    public struct TwoRows : IRowCount
    {
        /// <inheritdoc/>
        public static int Count => 2;
    }

    /// <summary>Tiles of three rows.</summary>
    public struct ThreeRows : IRowCount
    {
        /// <inheritdoc/>
        public static int Count => 3;
    }

    /// <summary>Tiles of four rows.</summary>
    public struct FourRows : IRowCount
    {
        /// <inheritdoc/>
        public static int Count => 4;
    }

    /// <summary>Tiles of five rows.</summary>
    public struct FiveRows : IRowCount
    {
        /// <inheritdoc/>
        public static int Count => 5;
    }

    /// <summary>Tiles of six rows.</summary>
    public struct SixRows : IRowCount
    {
        /// <inheritdoc/>
        public static int Count => 6;
    }

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
