using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The CPU backend: picks the typed kernel for each dtype and shares large contiguous work among
/// the <see cref="WorkerPool"/>. The kernels themselves (<see cref="RowOps"/>, <see cref="Elementwise"/>,
/// <see cref="Reduction"/>, <see cref="Gemm"/>…) are unchanged; this class is the only place that
/// switches from a <see cref="DType"/> to a kernel's element type for the ops of <see cref="IBackend"/>.
/// </summary>
/// <remarks>
/// This class's partial files sit in Backends/Cpu; the kernels sit in one sub-folder per family (MatrixProducts,
/// Convolution, Pooling, Normalization, Recurrent, Attention, LinearAlgebra, Elementwise, Reduction, Indexing, Optimizers,
/// and Runtime for the worker pool and CPU feature checks). The sub-folders keep the namespace Nabla.Backends.Cpu: they
/// are one internal layer, grouped for the reader, and a kernel family is not an API of its own.
/// </remarks>
internal sealed partial class CpuBackend : IBackend
{
    /// <summary>The one instance.</summary>
    public static readonly CpuBackend Instance = new();

    CpuBackend() { }

    /// <summary>Contiguous elementwise ops of at least this many elements are shared by the worker pool.</summary>
    public const int ParallelElements = 65536;

    /// <summary>Elements per chunk handed to a worker (a few L1-sized pieces per operand).</summary>
    public const int ChunkElements = 16384;

    /// <summary>Columns per task when a large sum over a middle dim (a bias gradient) is shared by the worker pool.</summary>
    const int SumColumnBlock = 512;

    public Device Device => Device.Cpu;

    public Tensor Allocate(int[] shape, DType dtype, bool zeroed, string op) => zeroed
        ? Tensor.OfStorage(Storage.Allocate(dtype, Shape.CheckedNumel(shape, op), Device.Cpu), shape)
        : Tensor.Uninitialized(shape, dtype, op, Device.Cpu);

    public void Copy(Tensor source, Tensor destination)
    {
        if (destination.Count == 0) return;
        if (source.DType == destination.DType && source.IsContiguous && destination.IsContiguous && source.Count == destination.Count)
        {
            Array.Copy(source.storage.Data, source.offset, destination.storage.Data, destination.offset, destination.Count);
            return;
        }
        var layout = new RowLayout(destination.shape, [destination.offset, source.offset], destination.strides, source.BroadcastStrides(destination.shape));
        // The destination of the shared kernel is operand 0; a strided destination is fine because
        // the kernels write each row through the destination's inner stride only when it is 1.
        if (layout.InnerStride(0) == 1 || destination.Count <= 1)
        {
            Conversion.Copy(layout, source.storage.Data, destination.storage.Data);
            return;
        }
        var packed = Allocate(destination.shape, destination.DType, zeroed: false, "Copy");
        Copy(source, packed);
        ScatterRows(new RowLayout(destination.shape, [0, destination.offset], packed.strides, destination.strides), packed.storage.Data, destination.storage.Data);
    }

    // Writes a contiguous buffer into a destination whose innermost stride is not 1.
    static void ScatterRows(RowLayout layout, Array packed, Array destination)
    {
        int elementSize = Marshal.SizeOf(packed.GetType().GetElementType()!);
        if (packed.GetType().GetElementType() == typeof(bool)) elementSize = 1;
        ref byte src = ref MemoryMarshal.GetArrayDataReference(packed);
        ref byte dst = ref MemoryMarshal.GetArrayDataReference(destination);
        int n = layout.RowLength, stride = layout.InnerStride(1);
        var cursor = layout.At(0);
        for (int r = 0; r < layout.RowCount; r++, cursor.Next())
            for (int i = 0; i < n; i++)
                Unsafe.CopyBlockUnaligned(
                    ref Unsafe.Add(ref dst, (nint)(cursor.Offsets[1] + i * stride) * elementSize),
                    ref Unsafe.Add(ref src, (nint)(cursor.Offsets[0] + i) * elementSize),
                    (uint)elementSize);
    }

    public Tensor Unary<TOp>(Tensor x) where TOp : IFloatRow
    {
        var result = Allocate(x.shape, x.DType, zeroed: false, "Unary");
        if (result.Count == 0) return result;
        if (x.DType == DType.Float32) RunUnary(x, result, FloatRows<float, TOp>.Row);
        else RunUnary(x, result, FloatRows<double, TOp>.Row);
        return result;
    }

    public Tensor LeakyRelu(Tensor x, double negativeSlope) =>
        Map(x, "LeakyRelu", (s, d) => Activations.LeakyRelu(s, d, (float)negativeSlope), (s, d) => Activations.LeakyRelu(s, d, negativeSlope));

    public Tensor Elu(Tensor x, double alpha) =>
        Map(x, "Elu", (s, d) => Activations.Elu(s, d, (float)alpha), (s, d) => Activations.Elu(s, d, alpha));

    Tensor Map(Tensor x, string op, UnaryRow<float, float> f32, UnaryRow<double, double> f64)
    {
        var result = Allocate(x.shape, x.DType, zeroed: false, op);
        if (result.Count == 0) return result;
        if (x.DType == DType.Float32) RunUnary(x, result, f32);
        else RunUnary(x, result, f64);
        return result;
    }

    public Tensor LeakyReluBackward(Tensor g, Tensor x, double negativeSlope)
    {
        var result = Allocate(g.shape, g.DType, zeroed: false, "LeakyReluBackward");
        if (result.Count == 0) return result;
        if (g.DType == DType.Float32) LeakyReluBackwardInChunks(g, x, result, (float)negativeSlope);
        else LeakyReluBackwardInChunks(g, x, result, negativeSlope);
        return result;
    }

    static void LeakyReluBackwardInChunks<T>(Tensor g, Tensor x, Tensor result, T slope) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] gd = g.HostData<T>(), xd = x.HostData<T>(), rd = result.HostData<T>();
        int gOffset = g.offset, xOffset = x.offset;
        ForChunks(result.Count, 4, (begin, length) =>
            ActivationGradients.LeakyRelu<T>(gd.AsSpan(gOffset + begin, length), xd.AsSpan(xOffset + begin, length), slope, rd.AsSpan(begin, length)));
    }

    /// <summary>
    /// Calls <paramref name="chunk"/>(begin, length) over [0, count) in pieces of <see cref="ChunkElements"/> shared by the
    /// worker pool, at least <paramref name="minChunks"/> pieces per hand-off: the one split of every large contiguous
    /// elementwise pass (unary and binary rows, activation backwards, dropout, a compiled graph's chains).
    /// </summary>
    static void ForChunks(int count, int minChunks, Action<int, int> chunk) =>
        WorkerPool.For((count + ChunkElements - 1) / ChunkElements, minChunks, (start, end) =>
        {
            int begin = start * ChunkElements;
            chunk(begin, Math.Min(end * ChunkElements, count) - begin);
        });

    public Tensor ActivationBackward<TGradient>(Tensor g, Tensor y) where TGradient : IActivationGradient
    {
        var result = Allocate(g.shape, g.DType, zeroed: false, "ActivationBackward");
        if (result.Count == 0) return result;
        if (g.DType == DType.Float32) ApplyInChunks<TGradient, float>(g, y, result);
        else ApplyInChunks<TGradient, double>(g, y, result);
        return result;
    }

    /// <summary>Runs a fused activation gradient over contiguous operands, in chunks shared by the worker pool.</summary>
    static void ApplyInChunks<TGradient, T>(Tensor g, Tensor y, Tensor result) where TGradient : IActivationGradient where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] gd = g.HostData<T>(), yd = y.HostData<T>(), rd = result.HostData<T>();
        int gOffset = g.offset, yOffset = y.offset;
        ForChunks(result.Count, 4, (begin, length) =>
            TGradient.Apply<T>(gd.AsSpan(gOffset + begin, length), yd.AsSpan(yOffset + begin, length), rd.AsSpan(begin, length)));
    }

    public Tensor Binary<TOp>(Tensor a, Tensor b, int[] shape) where TOp : IArithmeticRow
    {
        var dtype = a.DType;
        var result = Allocate(shape, dtype, zeroed: false, "Binary");
        if (result.Count == 0) return result;
        // Fast path: one operand is a single value (x * 2.0, a reduced gradient broadcast back) and the
        // other is contiguous with the result's shape: one TensorPrimitives call with a scalar.
        if (a.IsOneValue && b.IsContiguous && b.Count == result.Count || b.IsOneValue && a.IsContiguous && a.Count == result.Count)
        {
            switch (dtype)
            {
                case DType.Float32: ScalarBinary<float, TOp>(a, b, result); break;
                case DType.Float64: ScalarBinary<double, TOp>(a, b, result); break;
                case DType.Int64: ScalarBinary<long, TOp>(a, b, result); break;
                case DType.Int32: ScalarBinary<int, TOp>(a, b, result); break;
                default: ScalarBinary<byte, TOp>(a, b, result); break;
            }
            return result;
        }
        switch (dtype)
        {
            case DType.Float32: RunBinary(a, b, result, ArithmeticRows<float, TOp>.Row); break;
            case DType.Float64: RunBinary(a, b, result, ArithmeticRows<double, TOp>.Row); break;
            case DType.Int64: RunBinary(a, b, result, ArithmeticRows<long, TOp>.Row); break;
            case DType.Int32: RunBinary(a, b, result, ArithmeticRows<int, TOp>.Row); break;
            default: RunBinary(a, b, result, ArithmeticRows<byte, TOp>.Row); break;
        }
        return result;
    }

    public Tensor Pow(Tensor a, Tensor b, int[] shape)
    {
        var result = Allocate(shape, a.DType, zeroed: false, "Pow");
        if (result.Count == 0) return result;
        if (a.DType == DType.Float32) RunBinary(a, b, result, PowRows<float>.Row);
        else RunBinary(a, b, result, PowRows<double>.Row);
        return result;
    }

    public Tensor Compare<TOp>(Tensor a, Tensor b, int[] shape) where TOp : ICompareRow
    {
        var result = Allocate(shape, DType.Bool, zeroed: false, "Compare");
        if (result.Count == 0) return result;
        switch (a.DType)
        {
            case DType.Float32: RunBinary(a, b, result, CompareRows<float, TOp>.Row); break;
            case DType.Float64: RunBinary(a, b, result, CompareRows<double, TOp>.Row); break;
            case DType.Int64: RunBinary(a, b, result, CompareRows<long, TOp>.Row); break;
            case DType.Int32: RunBinary(a, b, result, CompareRows<int, TOp>.Row); break;
            default: RunBinary(a, b, result, CompareRows<byte, TOp>.Row); break;
        }
        return result;
    }

    public Tensor Where(Tensor condition, Tensor x, Tensor y, int[] shape)
    {
        var result = Allocate(shape, x.DType, zeroed: false, "Where");
        if (result.Count == 0) return result;
        var layout = new RowLayout(shape, [0, condition.offset, x.offset, y.offset],
            result.strides, condition.BroadcastStrides(shape), x.BroadcastStrides(shape), y.BroadcastStrides(shape));
        var c = condition.HostData<bool>();
        switch (x.DType)
        {
            case DType.Float32: Elementwise.Select(layout, c, x.HostData<float>(), y.HostData<float>(), result.HostData<float>()); break;
            case DType.Float64: Elementwise.Select(layout, c, x.HostData<double>(), y.HostData<double>(), result.HostData<double>()); break;
            case DType.Int64: Elementwise.Select(layout, c, x.HostData<long>(), y.HostData<long>(), result.HostData<long>()); break;
            case DType.Int32: Elementwise.Select(layout, c, x.HostData<int>(), y.HostData<int>(), result.HostData<int>()); break;
            case DType.UInt8: Elementwise.Select(layout, c, x.HostData<byte>(), y.HostData<byte>(), result.HostData<byte>()); break;
            default: Elementwise.Select(layout, c, x.HostData<bool>(), y.HostData<bool>(), result.HostData<bool>()); break;
        }
        return result;
    }

    public Tensor Sum(Tensor data, int outer, int reduce, int inner, int[] resultShape)
    {
        var result = Allocate(resultShape, data.DType, zeroed: false, "Sum");
        switch (data.DType)
        {
            case DType.Float32 when (long)outer * reduce * inner >= ParallelElements && inner >= 2 * SumColumnBlock:
                SumInColumnBlocks<float>(data, outer, reduce, inner, result);
                break;
            case DType.Float32: Reduction.Sum(data.HostSpan<float>(), outer, reduce, inner, result.HostSpan<float>()); break;
            case DType.Float64 when (long)outer * reduce * inner >= ParallelElements && inner >= 2 * SumColumnBlock:
                SumInColumnBlocks<double>(data, outer, reduce, inner, result);
                break;
            case DType.Float64: Reduction.Sum(data.HostSpan<double>(), outer, reduce, inner, result.HostSpan<double>()); break;
            case DType.Int64: Reduction.Sum(data.HostSpan<long>(), outer, reduce, inner, result.HostSpan<long>()); break;
            case DType.Int32: Reduction.Sum(data.HostSpan<int>(), outer, reduce, inner, result.HostSpan<int>()); break;
            default: throw new DTypeException($"Sum: cannot accumulate in {data.DType}.");
        }
        return result;
    }

    public Tensor Prod(Tensor data, int outer, int reduce, int[] resultShape)
    {
        var result = Allocate(resultShape, data.DType, zeroed: false, "Prod");
        switch (data.DType)
        {
            case DType.Float32: Reduction.Rows(data.HostSpan<float>(), outer, reduce, result.HostSpan<float>(), static r => r.IsEmpty ? 1 : TensorPrimitives.Product(r)); break;
            case DType.Float64: Reduction.Rows(data.HostSpan<double>(), outer, reduce, result.HostSpan<double>(), static r => r.IsEmpty ? 1 : TensorPrimitives.Product(r)); break;
            default: Reduction.Rows(data.HostSpan<long>(), outer, reduce, result.HostSpan<long>(), static r => { long p = 1; foreach (var v in r) p *= v; return p; }); break;
        }
        return result;
    }

    public Tensor ArgExtremum(Tensor data, int outer, int reduce, int[] resultShape, bool max)
    {
        var indices = Allocate(resultShape, DType.Int64, zeroed: false, max ? "Max" : "Min");
        var idx = indices.HostSpan<long>();
        switch (data.DType)
        {
            case DType.Float32: Reduction.ArgExtremum(data.HostSpan<float>(), outer, reduce, idx, max); break;
            case DType.Float64: Reduction.ArgExtremum(data.HostSpan<double>(), outer, reduce, idx, max); break;
            case DType.Int64: Reduction.ArgExtremum(data.HostSpan<long>(), outer, reduce, idx, max); break;
            case DType.Int32: Reduction.ArgExtremum(data.HostSpan<int>(), outer, reduce, idx, max); break;
            default: Reduction.ArgExtremum(data.HostSpan<byte>(), outer, reduce, idx, max); break;
        }
        return indices;
    }

    public Tensor CumSum(Tensor source, int outer, int n, int inner)
    {
        var result = Allocate(source.shape, source.DType, zeroed: false, "CumSum");
        if (result.Count == 0) return result;
        switch (source.DType)
        {
            case DType.Float32: Reduction.CumSum(source.HostSpan<float>(), outer, n, inner, result.HostSpan<float>()); break;
            case DType.Float64: Reduction.CumSum(source.HostSpan<double>(), outer, n, inner, result.HostSpan<double>()); break;
            default: Reduction.CumSum(source.HostSpan<long>(), outer, n, inner, result.HostSpan<long>()); break;
        }
        return result;
    }

    public Tensor Softmax(Tensor rows, int n, bool log)
    {
        var output = Allocate(rows.shape, rows.DType, zeroed: false, log ? "LogSoftmax" : "Softmax");
        if (output.Count == 0) return output;
        if (rows.DType == DType.Float32) Reduction.Softmax(rows.HostSpan<float>(), output.Count / n, n, output.HostSpan<float>(), log);
        else Reduction.Softmax(rows.HostSpan<double>(), output.Count / n, n, output.HostSpan<double>(), log);
        return output;
    }

    public long? Gather(Tensor source, int dim, Tensor index, Tensor result)
    {
        if (result.Count == 0) return null;
        var sourceStrides = (int[])source.strides.Clone();
        sourceStrides[dim] = 0;
        var layout = new RowLayout(index.shape, [0, index.offset, source.offset], result.strides, index.strides, sourceStrides);
        int dimStride = source.strides[dim], dimSize = source.shape[dim];
        var idx = index.HostData<long>();
        return source.storage.Data switch
        {
            float[] s => Indexing.Gather(layout, result.HostData<float>(), idx, s, dimStride, dimSize),
            double[] s => Indexing.Gather(layout, result.HostData<double>(), idx, s, dimStride, dimSize),
            long[] s => Indexing.Gather(layout, result.HostData<long>(), idx, s, dimStride, dimSize),
            int[] s => Indexing.Gather(layout, result.HostData<int>(), idx, s, dimStride, dimSize),
            byte[] s => Indexing.Gather(layout, result.HostData<byte>(), idx, s, dimStride, dimSize),
            bool[] s => Indexing.Gather(layout, result.HostData<bool>(), idx, s, dimStride, dimSize),
            _ => null,
        };
    }

    public long? IndexSelect(Tensor source, int dim, Tensor index, Tensor result)
    {
        // Like PyTorch's index_select, negative indices are out of range (Gather would wrap them).
        int size = source.shape[dim], count = index.Count, outer = 1;
        var picks = index.HostData<long>();
        for (int i = 0; i < count; i++)
            if ((ulong)picks[index.offset + i] >= (ulong)size) return picks[index.offset + i];
        int inner = 1; // elements after dim: one selected slice is this many contiguous elements per outer index
        for (int i = dim + 1; i < source.Rank; i++) inner *= source.shape[i];
        if (!source.IsContiguous || inner < 16)
            return result.Count == 0 ? null : Gather(source, dim, Tensor.IndexAlong(index, dim, result.shape), result);
        // Slices of at least 16 elements (a minibatch of images picked from a data set): one block copy per slice.
        for (int i = 0; i < dim; i++) outer *= source.shape[i];
        Indexing.SelectSlices(source.storage.Data, source.offset, size, picks, index.offset, count, outer, inner,
                              result.storage.Data, source.DType.ElementSize());
        return null;
    }

    public long? Scatter(Tensor target, int dim, Tensor index, Tensor values, bool accumulate)
    {
        if (index.Count == 0) return null;
        var targetStrides = (int[])target.strides.Clone();
        targetStrides[dim] = 0;
        var layout = new RowLayout(index.shape, [values.offset, index.offset, target.offset], values.strides, index.strides, targetStrides);
        int dimStride = target.strides[dim], dimSize = target.shape[dim];
        var idx = index.HostData<long>();
        return target.storage.Data switch
        {
            float[] t => Indexing.Scatter(layout, values.HostData<float>(), idx, t, dimStride, dimSize, accumulate),
            double[] t => Indexing.Scatter(layout, values.HostData<double>(), idx, t, dimStride, dimSize, accumulate),
            long[] t => Indexing.Scatter(layout, values.HostData<long>(), idx, t, dimStride, dimSize, accumulate),
            int[] t => Indexing.Scatter(layout, values.HostData<int>(), idx, t, dimStride, dimSize, accumulate),
            byte[] t => Indexing.Scatter(layout, values.HostData<byte>(), idx, t, dimStride, dimSize, accumulate),
            bool[] t => Indexing.Scatter(layout, Unsafe.As<byte[]>(values.HostData<bool>()), idx, Unsafe.As<byte[]>(t), dimStride, dimSize, accumulate),
            _ => null,
        };
    }

    /// <summary>
    /// <see cref="Reduction.Sum{T}"/> of [outer, reduce, inner] split into blocks of columns over the worker pool: each element
    /// gets the same additions in the same order, so the result is the serial one.
    /// </summary>
    static void SumInColumnBlocks<T>(Tensor data, int outer, int reduce, int inner, Tensor result) where T : unmanaged, INumber<T>
    {
        int blocks = (inner + SumColumnBlock - 1) / SumColumnBlock;
        WorkerPool.For(outer * blocks, 1, (start, end) =>
        {
            for (int task = start; task < end; task++)
            {
                int o = task / blocks, from = task % blocks * SumColumnBlock;
                Reduction.SumColumns(data.HostSpan<T>(), o, reduce, inner, from, Math.Min(from + SumColumnBlock, inner), result.HostSpan<T>());
            }
        });
    }

    /// <summary>
    /// Runs the GEMM once per batch entry on strided views (transposes cost nothing), into the contiguous
    /// result, or adding to it when <paramref name="accumulate"/>.
    /// </summary>
    public unsafe void MatMul(Tensor x, Tensor y, Tensor result, bool accumulate)
    {
        int n = result.shape[^2], m = result.shape[^1], k = x.shape[^1];
        int batchCount = result.Count / Math.Max(n * m, 1);
        if (batchCount == 1 && n <= 2 && k > 0 && m > 0 && IsTransposedWeight(y, k, m) && x.strides[^1] == 1 && (n == 1 || x.strides[^2] == k) && result.IsContiguous)
        {
            MatrixVector(x, y, result, n, k, m, accumulate);
            return;
        }
        var batchShape = result.shape[..^2];
        // Offsets of batch entry i in x, y and the result, unravelling i over the batch dims.
        // (A RowLayout over [..batch, 1] would drop the size-1 dim and make the batch dims its row.)
        (int X, int Y, int Result) Offsets(int i)
        {
            int ox = x.offset, oy = y.offset, or = result.offset;
            for (int d = batchShape.Length - 1; d >= 0; d--)
            {
                int index = i % batchShape[d];
                i /= batchShape[d];
                ox += index * x.strides[d];
                oy += index * y.strides[d];
                or += index * result.strides[d];
            }
            return (ox, oy, or);
        }
        if (result.DType == DType.Float32)
        {
            fixed (float* px = x.HostData<float>(), py = y.HostData<float>(), pr = result.HostData<float>())
                for (int i = 0; i < batchCount; i++)
                {
                    var (ox, oy, or) = Offsets(i);
                    Gemm.Sgemm(n, m, k, px + ox, x.strides[^2], x.strides[^1], py + oy, y.strides[^2], y.strides[^1], pr + or, m, accumulate);
                }
        }
        else
        {
            fixed (double* px = x.HostData<double>(), py = y.HostData<double>(), pr = result.HostData<double>())
                for (int i = 0; i < batchCount; i++)
                {
                    var (ox, oy, or) = Offsets(i);
                    Gemm.Dgemm(n, m, k, px + ox, x.strides[^2], x.strides[^1], py + oy, y.strides[^2], y.strides[^1], pr + or, m, accumulate);
                }
        }
    }

    /// <summary>True when <paramref name="y"/> [k, m] is the transpose view of a contiguous weight [m, k] (a linear layer's <c>W.T</c>).</summary>
    static bool IsTransposedWeight(Tensor y, int k, int m) => y.Rank == 2 && y.strides[0] == 1 && (m == 1 || y.strides[1] == k);

    /// <summary>
    /// result[i] (+)= W·x[i] for the one or two rows of a batch-1 linear layer: the weight rows are read in place
    /// (<see cref="Gemv"/>), not packed as the GEMM would on every call.
    /// </summary>
    static unsafe void MatrixVector(Tensor x, Tensor y, Tensor result, int n, int k, int m, bool accumulate)
    {
        if (result.DType == DType.Float32)
        {
            if (!accumulate) result.HostSpan<float>().Clear();
            fixed (float* xp = &x.HostData<float>()[x.offset], wp = &y.HostData<float>()[y.offset], rp = &result.HostData<float>()[result.offset])
                for (int i = 0; i < n; i++) Gemv.Accumulate(xp + (long)i * k, wp, m, k, rp + (long)i * m);
        }
        else
        {
            if (!accumulate) result.HostSpan<double>().Clear();
            fixed (double* xp = &x.HostData<double>()[x.offset], wp = &y.HostData<double>()[y.offset], rp = &result.HostData<double>()[result.offset])
                for (int i = 0; i < n; i++) Gemv.Accumulate(xp + (long)i * k, wp, m, k, rp + (long)i * m);
        }
    }

    static void ScalarBinary<T, TOp>(Tensor a, Tensor b, Tensor result) where T : unmanaged, INumber<T> where TOp : IArithmeticRow
    {
        if (b.IsOneValue && a.IsContiguous && a.Count == result.Count) TOp.RowScalar(a.HostSpan<T>(), b.HostData<T>()[b.offset], result.HostSpan<T>());
        else TOp.ScalarRow(a.HostData<T>()[a.offset], b.HostSpan<T>(), result.HostSpan<T>());
    }

    // One cached delegate per (element type, op): creating a delegate from a generic method group
    // allocates, and these run on every op call.
    static class ArithmeticRows<T, TOp> where T : unmanaged, INumber<T> where TOp : IArithmeticRow
    {
        public static readonly BinaryRow<T, T> Row = TOp.Row;
    }

    static class FloatRows<T, TOp> where T : unmanaged, IFloatingPointIeee754<T> where TOp : IFloatRow
    {
        public static readonly UnaryRow<T, T> Row = TOp.Row;
    }

    static class PowRows<T> where T : unmanaged, IPowerFunctions<T>
    {
        public static readonly BinaryRow<T, T> Row = System.Numerics.Tensors.TensorPrimitives.Pow;
    }

    static class CompareRows<T, TOp> where T : unmanaged, INumber<T> where TOp : ICompareRow
    {
        public static readonly BinaryRow<T, bool> Row = Compare;

        static void Compare(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<bool> d)
        {
            for (int i = 0; i < d.Length; i++) d[i] = TOp.Compare(x[i], y[i]);
        }
    }

    static void RunBinary<TIn, TOut>(Tensor a, Tensor b, Tensor result, BinaryRow<TIn, TOut> row)
    {
        // Fast path: same shape, all contiguous: the row is the whole tensor, split in chunks when large.
        if (a.IsContiguous && b.IsContiguous && result.IsContiguous && a.shape.AsSpan().SequenceEqual(b.shape))
        {
            if (result.Count < ParallelElements)
            {
                row(a.HostSpan<TIn>(), b.HostSpan<TIn>(), result.HostSpan<TOut>());
                return;
            }
            TIn[] x = a.HostData<TIn>(), y = b.HostData<TIn>();
            TOut[] d = result.HostData<TOut>();
            int ax = a.offset, by = b.offset, rd = result.offset;
            ForChunks(result.Count, 2, (begin, length) => row(x.AsSpan(ax + begin, length), y.AsSpan(by + begin, length), d.AsSpan(rd + begin, length)));
            return;
        }
        var layout = new RowLayout(result.shape, [0, a.offset, b.offset], result.strides, a.BroadcastStrides(result.shape), b.BroadcastStrides(result.shape));
        Elementwise.Binary(layout, a.HostData<TIn>(), b.HostData<TIn>(), result.HostData<TOut>(), row);
    }

    static void RunUnary<TIn, TOut>(Tensor source, Tensor result, UnaryRow<TIn, TOut> row)
    {
        if (source.IsContiguous && result.IsContiguous)
        {
            if (result.Count < ParallelElements)
            {
                row(source.HostSpan<TIn>(), result.HostSpan<TOut>());
                return;
            }
            TIn[] x = source.HostData<TIn>();
            TOut[] d = result.HostData<TOut>();
            int sx = source.offset, rd = result.offset;
            ForChunks(result.Count, 2, (begin, length) => row(x.AsSpan(sx + begin, length), d.AsSpan(rd + begin, length)));
            return;
        }
        var layout = new RowLayout(result.shape, [0, source.offset], result.strides, source.strides);
        Elementwise.Map(layout, source.HostData<TIn>(), result.HostData<TOut>(), row);
    }
}
