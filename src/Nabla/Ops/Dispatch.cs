using System.Numerics;
using Nabla.Backends.Cpu;

namespace Nabla;

// From dtypes to typed kernels: the one place where an op picks the element type it runs on.
// Ops call these with tensors already validated; results are new contiguous tensors.
public partial class Tensor
{
    /// <summary>Broadcast arithmetic <typeparamref name="TOp"/>(a, b) computed in <paramref name="dtype"/>.</summary>
    internal static Tensor Arithmetic<TOp>(string op, Tensor a, Tensor b, DType dtype) where TOp : IArithmeticRow
    {
        if (dtype == DType.Bool) // bool arithmetic runs on bytes and maps back: + is "or", * is "and"
            return Arithmetic<TOp>(op, a, b, DType.UInt8).ToDType(DType.Bool);
        a = a.ToDTypeIfNeeded(dtype);
        b = b.ToDTypeIfNeeded(dtype);
        var result = Uninitialized(Shape.Broadcast(a.shape, b.shape, op), dtype, op);
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

    /// <summary>Broadcast comparison giving a Bool tensor, computed in the promoted dtype of a and b.</summary>
    internal static Tensor Comparison<TOp>(string op, Tensor a, Tensor b) where TOp : ICompareRow
    {
        var dtype = DTypes.ResultType(a, b);
        if (dtype == DType.Bool) dtype = DType.UInt8;
        a = a.ToDTypeIfNeeded(dtype);
        b = b.ToDTypeIfNeeded(dtype);
        var result = Uninitialized(Shape.Broadcast(a.shape, b.shape, op), DType.Bool, op);
        if (result.Count == 0) return result;
        switch (dtype)
        {
            case DType.Float32: RunBinary(a, b, result, CompareRows<float, TOp>.Row); break;
            case DType.Float64: RunBinary(a, b, result, CompareRows<double, TOp>.Row); break;
            case DType.Int64: RunBinary(a, b, result, CompareRows<long, TOp>.Row); break;
            case DType.Int32: RunBinary(a, b, result, CompareRows<int, TOp>.Row); break;
            default: RunBinary(a, b, result, CompareRows<byte, TOp>.Row); break;
        }
        return result;
    }

    static void ScalarBinary<T, TOp>(Tensor a, Tensor b, Tensor result) where T : unmanaged, INumber<T> where TOp : IArithmeticRow
    {
        if (b.IsOneValue && a.IsContiguous && a.Count == result.Count) TOp.RowScalar(a.Span<T>(), b.Data<T>()[b.offset], result.Span<T>());
        else TOp.ScalarRow(a.Data<T>()[a.offset], b.Span<T>(), result.Span<T>());
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

    static class CompareRows<T, TOp> where T : unmanaged, INumber<T> where TOp : ICompareRow
    {
        public static readonly BinaryRow<T, bool> Row = Compare;

        static void Compare(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<bool> d)
        {
            for (int i = 0; i < d.Length; i++) d[i] = TOp.Compare(x[i], y[i]);
        }
    }

    /// <summary>Unary floating-point op <typeparamref name="TOp"/>; integer and bool inputs are computed in Float32, as PyTorch does.</summary>
    internal Tensor FloatUnary<TOp>() where TOp : IFloatRow
    {
        var source = DType.IsFloatingPoint() ? this : ToDType(DType.Float32);
        var result = Uninitialized(shape, source.DType);
        if (result.Count == 0) return result;
        if (source.DType == DType.Float32) RunUnary(source, result, FloatRows<float, TOp>.Row);
        else RunUnary(source, result, FloatRows<double, TOp>.Row);
        return result;
    }

    /// <summary>A unary op given as one row function per floating type (for ops with parameters, such as LeakyRelu's slope).</summary>
    internal Tensor FloatMap(string op, UnaryRow<float, float> f32, UnaryRow<double, double> f64)
    {
        var source = DType.IsFloatingPoint() ? this : ToDType(DType.Float32);
        var result = Uninitialized(shape, source.DType, op);
        if (result.Count == 0) return result;
        if (source.DType == DType.Float32) RunUnary(source, result, f32);
        else RunUnary(source, result, f64);
        return result;
    }

    /// <summary>Contiguous elementwise ops of at least this many elements are shared by the worker pool.</summary>
    const int ParallelElements = 65536;

    /// <summary>Elements per chunk handed to a worker (a few L1-sized pieces per operand).</summary>
    const int ChunkElements = 16384;

    internal static void RunBinary<TIn, TOut>(Tensor a, Tensor b, Tensor result, BinaryRow<TIn, TOut> row)
    {
        // Fast path: same shape, all contiguous: the row is the whole tensor, split in chunks when large.
        if (a.IsContiguous && b.IsContiguous && result.IsContiguous && a.shape.AsSpan().SequenceEqual(b.shape))
        {
            if (result.Count < ParallelElements)
            {
                row(a.Span<TIn>(), b.Span<TIn>(), result.Span<TOut>());
                return;
            }
            TIn[] x = a.Data<TIn>(), y = b.Data<TIn>();
            TOut[] d = result.Data<TOut>();
            int ax = a.offset, by = b.offset, rd = result.offset, count = result.Count;
            WorkerPool.For((count + ChunkElements - 1) / ChunkElements, 2, (start, end) =>
            {
                int begin = start * ChunkElements, length = Math.Min(end * ChunkElements, count) - begin;
                row(x.AsSpan(ax + begin, length), y.AsSpan(by + begin, length), d.AsSpan(rd + begin, length));
            });
            return;
        }
        var layout = new RowLayout(result.shape, [0, a.offset, b.offset], result.strides, a.BroadcastStrides(result.shape), b.BroadcastStrides(result.shape));
        Elementwise.Binary(layout, a.Data<TIn>(), b.Data<TIn>(), result.Data<TOut>(), row);
    }

    internal static void RunUnary<TIn, TOut>(Tensor source, Tensor result, UnaryRow<TIn, TOut> row)
    {
        if (source.IsContiguous && result.IsContiguous)
        {
            if (result.Count < ParallelElements)
            {
                row(source.Span<TIn>(), result.Span<TOut>());
                return;
            }
            TIn[] x = source.Data<TIn>();
            TOut[] d = result.Data<TOut>();
            int sx = source.offset, rd = result.offset, count = result.Count;
            WorkerPool.For((count + ChunkElements - 1) / ChunkElements, 2, (start, end) =>
            {
                int begin = start * ChunkElements, length = Math.Min(end * ChunkElements, count) - begin;
                row(x.AsSpan(sx + begin, length), d.AsSpan(rd + begin, length));
            });
            return;
        }
        var layout = new RowLayout(result.shape, [0, source.offset], result.strides, source.strides);
        Elementwise.Map(layout, source.Data<TIn>(), result.Data<TOut>(), row);
    }

    /// <summary>True when every element is the same storage element: one value, or one value expanded (all strides 0).</summary>
    internal bool IsOneValue
    {
        get
        {
            for (int i = 0; i < strides.Length; i++)
                if (strides[i] != 0 && shape[i] != 1) return false;
            return true;
        }
    }

    /// <summary>This tensor converted to <paramref name="dtype"/> outside autograd (same object when it already has it).</summary>
    internal Tensor ToDTypeIfNeeded(DType dtype) => dtype == DType ? this : ToDType(dtype);
}
