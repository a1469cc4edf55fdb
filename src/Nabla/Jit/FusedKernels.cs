using System.Numerics.Tensors;
using Nabla.NN;

namespace Nabla.Jit;

/// <summary>
/// The kernels of fused graph nodes: a GEMM whose bias and activation are applied to its output while it is still in
/// cache (no second tensor), and chains of unary elementwise ops run block by block in one pass over memory, each block
/// going through every op of the chain while it sits in L1 (TensorPrimitives' vectorised loops).
/// </summary>
internal static class FusedKernels
{
    const int Block = 4096;

    /// <summary>activation(x Wᵀ + b), the activation applied in place on the product's output.</summary>
    public static Tensor LinearActivation(Tensor input, Tensor weight, Tensor? bias, string activation)
    {
        return Activate(Functional.Linear(input, weight, bias), activation);
    }

    /// <summary>The unary ops named in <paramref name="ops"/> (joined by ',') applied one after the other in one pass.</summary>
    public static Tensor ElementwiseChain(Tensor input, string ops)
    {
        var names = ops.Split(',');
        if (!input.DType.IsFloatingPoint() || input.DType != DType.Float32 && input.DType != DType.Float64)
        {
            var x = input;
            foreach (var name in names) x = GraphInterpreter.Activation(x, name);
            return x;
        }
        var source = input.Contiguous();
        var result = Tensor.Uninitialized(input.Shape.ToArray(), input.DType);
        if (input.DType == DType.Float32) Apply(source.Span<float>(), result.Span<float>(), names);
        else Apply(source.Span<double>(), result.Span<double>(), names);
        return result;
    }

    /// <summary>activation(<paramref name="result"/>), written into it when it is a contiguous float tensor that nothing else reads.</summary>
    public static Tensor Activate(Tensor result, string activation)
    {
        if (!result.IsContiguous || result.DType is not (DType.Float32 or DType.Float64)) return GraphInterpreter.Activation(result, activation);
        ApplyInPlace(result, activation);
        return result;
    }

    /// <summary>Applies an activation in place on a contiguous float tensor.</summary>
    static void ApplyInPlace(Tensor tensor, string activation)
    {
        if (tensor.DType == DType.Float32) Apply<float>(tensor.Span<float>(), tensor.Span<float>(), [activation]);
        else if (tensor.DType == DType.Float64) Apply<double>(tensor.Span<double>(), tensor.Span<double>(), [activation]);
        else throw new DTypeException($"Jit: fused {activation} expects a floating-point tensor, got {tensor.DType}.");
    }

    /// <summary>destination = opₖ(… op₁(source)), block by block: each block goes through the whole chain while in L1.</summary>
    static void Apply<T>(ReadOnlySpan<T> source, Span<T> destination, ReadOnlySpan<string> ops) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        for (int start = 0; start < source.Length; start += Block)
        {
            int length = Math.Min(Block, source.Length - start);
            ReadOnlySpan<T> from = source.Slice(start, length);
            var block = destination.Slice(start, length);
            foreach (var op in ops)
            {
                switch (op)
                {
                    case GraphOps.Relu: TensorPrimitives.Max(from, T.Zero, block); break;
                    case GraphOps.Sigmoid: TensorPrimitives.Sigmoid(from, block); break;
                    case GraphOps.Tanh: TensorPrimitives.Tanh(from, block); break;
                    case GraphOps.Neg: TensorPrimitives.Negate(from, block); break;
                    case GraphOps.Exp: TensorPrimitives.Exp(from, block); break;
                    default: throw new NotSupportedException($"Jit: {op} cannot be fused.");
                }
                from = block;
            }
        }
    }
}
