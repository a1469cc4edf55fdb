using Nabla.Backends;
using Nabla.Backends.Cpu;

namespace Nabla;

// From tensors to the backend: type promotion and broadcasting are decided here, once, for the
// elementwise op families; the backend of the operands' device picks the typed kernel and the threads.
public partial class Tensor
{
    /// <summary>Broadcast arithmetic <typeparamref name="TOp"/>(a, b) computed in <paramref name="dtype"/>.</summary>
    internal static Tensor Arithmetic<TOp>(string op, Tensor a, Tensor b, DType dtype) where TOp : IArithmeticRow
    {
        if (dtype == DType.Bool) // bool arithmetic runs on bytes and maps back: + is "or", * is "and"
            return Arithmetic<TOp>(op, a, b, DType.UInt8).ToDType(DType.Bool);
        var backend = Backend.Of(op, a, b);
        var shape = Shape.Broadcast(a.shape, b.shape, op);
        return backend.Binary<TOp>(a.ToDTypeIfNeeded(dtype), b.ToDTypeIfNeeded(dtype), shape);
    }

    /// <summary>Broadcast comparison giving a Bool tensor, computed in the promoted dtype of a and b.</summary>
    internal static Tensor Comparison<TOp>(string op, Tensor a, Tensor b) where TOp : ICompareRow
    {
        var dtype = DTypes.ResultType(a, b);
        if (dtype == DType.Bool) dtype = DType.UInt8;
        var backend = Backend.Of(op, a, b);
        var shape = Shape.Broadcast(a.shape, b.shape, op);
        var result = backend.Compare<TOp>(a.ToDTypeIfNeeded(dtype), b.ToDTypeIfNeeded(dtype), shape);
        Jit.Tracer.Record(op, result, [a, b]); // the op names are GraphOps' (Eq, Ne, Gt, Ge, Lt, Le)
        return result;
    }

    /// <summary>Unary floating-point op <typeparamref name="TOp"/>; integer and bool inputs are computed in Float32, as PyTorch does.</summary>
    internal Tensor FloatUnary<TOp>() where TOp : IFloatRow => Backend.Of(this).Unary<TOp>(AsFloatingPoint());

    /// <summary>This tensor if floating-point, else converted to Float32 (PyTorch's rule for float-only math on integers).</summary>
    internal Tensor AsFloatingPoint() => DType.IsFloatingPoint() ? this : ToDType(DType.Float32);

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
