using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

internal static unsafe partial class GemmKernels
{
    /// <summary>
    /// The vector operations a micro-kernel needs, for one vector type: the kernels are written once over them and
    /// the JIT compiles each instantiation to that type's instructions (a struct type argument's static calls are
    /// resolved and inlined per instantiation, so the abstraction costs nothing).
    /// </summary>
    private interface ILanes<TVector, T>
        where T : unmanaged
    {
        /// <summary>Elements per vector.</summary>
        static abstract int Count { get; }

        /// <summary>Whether the kernel fetches its tile of C into L1 before the k-loop (AVX2 does; the portable kernel was not measured with it).</summary>
        static abstract bool PrefetchesC { get; }

        static abstract TVector Load(T* source);

        static abstract void Store(TVector value, T* destination);

        static abstract TVector Broadcast(T value);

        static abstract TVector Add(TVector x, TVector y);

        static abstract TVector Subtract(TVector x, TVector y);

        static abstract TVector Multiply(TVector x, TVector y);

        static abstract TVector Divide(TVector x, TVector y);

        /// <summary>The larger of x and y per lane (a NaN in x is kept, as <c>torch.relu</c> keeps it).</summary>
        static abstract TVector Max(TVector x, TVector y);

        static abstract TVector Min(TVector x, TVector y);

        /// <summary>eˣ per lane (the runtime's vectorised exp, as <c>TensorPrimitives.Exp</c> uses).</summary>
        static abstract TVector Exp(TVector x);

        /// <summary>A vector of <paramref name="value"/> converted to T (the epilogues' constants).</summary>
        static abstract TVector Constant(double value);

        /// <summary>x·y + acc: one rounding where the hardware fuses it, else multiply then add.</summary>
        static abstract TVector MulAdd(TVector x, TVector y, TVector acc);
    }

    /// <summary>zmm registers, AVX-512F: fused multiply-add (vfmadd231ps / vfmadd231pd); the type test folds away per T.</summary>
    private readonly struct Avx512Lanes<T> : ILanes<Vector512<T>, T>
        where T : unmanaged
    {
        public static int Count => Vector512<T>.Count;
        public static bool PrefetchesC => false;
        public static Vector512<T> Load(T* source) => Vector512.Load(source);
        public static void Store(Vector512<T> value, T* destination) => value.Store(destination);
        public static Vector512<T> Broadcast(T value) => Vector512.Create(value);
        public static Vector512<T> Add(Vector512<T> x, Vector512<T> y) => x + y;
        public static Vector512<T> Subtract(Vector512<T> x, Vector512<T> y) => x - y;
        public static Vector512<T> Multiply(Vector512<T> x, Vector512<T> y) => x * y;
        public static Vector512<T> Divide(Vector512<T> x, Vector512<T> y) => x / y;
        public static Vector512<T> Max(Vector512<T> x, Vector512<T> y) => Vector512.Max(x, y);
        public static Vector512<T> Min(Vector512<T> x, Vector512<T> y) => Vector512.Min(x, y);

        public static Vector512<T> Exp(Vector512<T> x) => typeof(T) == typeof(float)
            ? Vector512.Exp(x.AsSingle()).As<float, T>()
            : Vector512.Exp(x.AsDouble()).As<double, T>();

        public static Vector512<T> Constant(double value) => typeof(T) == typeof(float)
            ? Vector512.Create((float)value).As<float, T>()
            : Vector512.Create(value).As<double, T>();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> MulAdd(Vector512<T> x, Vector512<T> y, Vector512<T> acc) => typeof(T) == typeof(float)
            ? Avx512F.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>()
            : Avx512F.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
    }

    /// <summary>ymm registers, AVX2 + FMA3; the type test folds away per T.</summary>
    private readonly struct Avx2Lanes<T> : ILanes<Vector256<T>, T>
        where T : unmanaged
    {
        public static int Count => Vector256<T>.Count;
        public static bool PrefetchesC => true;
        public static Vector256<T> Load(T* source) => Vector256.Load(source);
        public static void Store(Vector256<T> value, T* destination) => value.Store(destination);
        public static Vector256<T> Broadcast(T value) => Vector256.Create(value);
        public static Vector256<T> Add(Vector256<T> x, Vector256<T> y) => x + y;
        public static Vector256<T> Subtract(Vector256<T> x, Vector256<T> y) => x - y;
        public static Vector256<T> Multiply(Vector256<T> x, Vector256<T> y) => x * y;
        public static Vector256<T> Divide(Vector256<T> x, Vector256<T> y) => x / y;
        public static Vector256<T> Max(Vector256<T> x, Vector256<T> y) => Vector256.Max(x, y);
        public static Vector256<T> Min(Vector256<T> x, Vector256<T> y) => Vector256.Min(x, y);

        public static Vector256<T> Exp(Vector256<T> x) => typeof(T) == typeof(float)
            ? Vector256.Exp(x.AsSingle()).As<float, T>()
            : Vector256.Exp(x.AsDouble()).As<double, T>();

        public static Vector256<T> Constant(double value) => typeof(T) == typeof(float)
            ? Vector256.Create((float)value).As<float, T>()
            : Vector256.Create(value).As<double, T>();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> MulAdd(Vector256<T> x, Vector256<T> y, Vector256<T> acc) => typeof(T) == typeof(float)
            ? Fma.MultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>()
            : Fma.MultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
    }

    /// <summary>
    /// <see cref="Vector{T}"/> on any hardware (16 registers of SSE/NEON). Multiply then add, since a fused
    /// multiply-add is emulated, and very slow, where the hardware lacks it.
    /// </summary>
    private readonly struct PortableLanes<T> : ILanes<Vector<T>, T>
        where T : unmanaged
    {
        public static int Count => Vector<T>.Count;
        public static bool PrefetchesC => false;
        public static Vector<T> Load(T* source) => Vector.Load(source);
        public static void Store(Vector<T> value, T* destination) => value.Store(destination);
        public static Vector<T> Broadcast(T value) => new(value);
        public static Vector<T> Add(Vector<T> x, Vector<T> y) => x + y;
        public static Vector<T> Subtract(Vector<T> x, Vector<T> y) => x - y;
        public static Vector<T> Multiply(Vector<T> x, Vector<T> y) => x * y;
        public static Vector<T> Divide(Vector<T> x, Vector<T> y) => x / y;
        public static Vector<T> Max(Vector<T> x, Vector<T> y) => Vector.Max(x, y);
        public static Vector<T> Min(Vector<T> x, Vector<T> y) => Vector.Min(x, y);

        public static Vector<T> Exp(Vector<T> x) => typeof(T) == typeof(float)
            ? Vector.Exp(x.As<T, float>()).As<float, T>()
            : Vector.Exp(x.As<T, double>()).As<double, T>();

        public static Vector<T> Constant(double value) => typeof(T) == typeof(float)
            ? new Vector<float>((float)value).As<float, T>()
            : new Vector<double>(value).As<double, T>();
        public static Vector<T> MulAdd(Vector<T> x, Vector<T> y, Vector<T> acc) => acc + (x * y);
    }

    /// <summary>Writes (or adds) the first TColumns.Count of the vectors <paramref name="v0"/>… to one row of C: every kernel's store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TLanes, TVector, T, TColumns>(T* c, TVector v0, TVector v1, TVector v2, TVector v3, bool accumulate)
        where TLanes : struct, ILanes<TVector, T>
        where T : unmanaged
        where TColumns : struct, IColumnVectors
    {
        int w = TLanes.Count;
        TLanes.Store(accumulate ? TLanes.Add(v0, TLanes.Load(c)) : v0, c);
        if (TColumns.Count > 1) TLanes.Store(accumulate ? TLanes.Add(v1, TLanes.Load(c + w)) : v1, c + w);
        if (TColumns.Count > 2) TLanes.Store(accumulate ? TLanes.Add(v2, TLanes.Load(c + (2 * w))) : v2, c + (2 * w));
        if (TColumns.Count > 3) TLanes.Store(accumulate ? TLanes.Add(v3, TLanes.Load(c + (3 * w))) : v3, c + (3 * w));
    }

    /// <summary>
    /// The epilogue of a tile just stored, TRows.Count × TColumns.Count vectors of C from <paramref name="c"/>, read back from L1:
    /// C = act(C + bias). Out of line and after every store on purpose: a call (or the runtime's vectorised exp, which is one)
    /// while the accumulators are live makes the JIT keep them in memory through the whole k-loop, which made every product
    /// about three times slower, with or without an epilogue.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void FinishTile<TLanes, TVector, T, TColumns>(T* c, long ldc, int rows, GemmEpilogue<T> epilogue)
        where TLanes : struct, ILanes<TVector, T>
        where TVector : struct
        where T : unmanaged
        where TColumns : struct, IColumnVectors
    {
        int w = TLanes.Count;
        for (int r = 0; r < rows; r++)
        {
            T* row = c + (r * ldc);
            for (int v = 0; v < TColumns.Count; v++)
            {
                StoreFinished<TLanes, TVector, T>(row + (v * w), TLanes.Load(row + (v * w)), false, epilogue.Bias == null ? null : epilogue.Bias + (v * w), epilogue.Activation);
            }
        }
    }
}
