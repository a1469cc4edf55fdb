using System.Numerics.Tensors;
using Nabla.NN;

namespace Nabla.Jit;

/// <summary>
/// The kernels of fused graph nodes: a GEMM whose bias and activation are applied to its output while it is still in
/// cache (no second tensor), and chains of unary elementwise ops run block by block in one pass over memory, each block
/// going through every op of the chain while it sits in L1 (TensorPrimitives' vectorised loops). Large tensors are split
/// over the worker pool as the eager elementwise ops are: a single-threaded pass here left the other core idle (its worker
/// going to sleep and waking late for the next parallel op), which made the compiled LeNet slower than eager.
/// </summary>
internal static class FusedKernels
{
    const int Block = 4096;

    /// <summary>Below this many elements a chain runs on the calling thread (the eager ops' threshold).</summary>
    const int ParallelElements = Backends.Cpu.CpuBackend.ParallelElements;

    /// <summary>Elements per parallel work item: a multiple of <see cref="Block"/>.</summary>
    const int ChunkElements = Backends.Cpu.CpuBackend.ChunkElements;

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
        if (input.DType == DType.Float32) ApplyParallel<float>(source, result, names);
        else ApplyParallel<double>(source, result, names);
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
        if (tensor.DType == DType.Float32) ApplyParallel<float>(tensor, tensor, [activation]);
        else if (tensor.DType == DType.Float64) ApplyParallel<double>(tensor, tensor, [activation]);
        else throw new DTypeException($"Jit: fused {activation} expects a floating-point tensor, got {tensor.DType}.");
    }

    /// <summary>
    /// destination = opₖ(… op₁(source)) over the first <see cref="Tensor.Count"/> elements of two contiguous float tensors
    /// of one dtype (the same tensor for an in-place pass), in chunks over the worker pool when large. Allocates nothing.
    /// </summary>
    internal static void ApplyChain(Tensor source, Tensor destination, string[] ops)
    {
        if (destination.DType == DType.Float32) ApplyParallel<float>(source, destination, ops);
        else ApplyParallel<double>(source, destination, ops);
    }

    /// <summary>destination = opₖ(… op₁(source)) over two contiguous tensors of the same size, in chunks over the worker pool when large.</summary>
    static void ApplyParallel<T>(Tensor source, Tensor destination, string[] ops) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int count = destination.Count;
        if (count < ParallelElements)
        {
            Apply<T>(source.Span<T>(), destination.Span<T>(), ops);
            return;
        }
        var chain = new Chain<T>(source.HostData<T>(), source.offset, destination.HostData<T>(), destination.offset, count, ops);
        Backends.Cpu.WorkerPool.For((count + ChunkElements - 1) / ChunkElements, 2, chain, static (chain, start, end) =>
        {
            int begin = start * ChunkElements, length = Math.Min(end * ChunkElements, chain.Count) - begin;
            Apply<T>(chain.From.AsSpan(chain.FromOffset + begin, length), chain.To.AsSpan(chain.ToOffset + begin, length), chain.Ops);
        });
    }

    /// <summary>The operands of a parallel chain, passed to the workers by value (no closure).</summary>
    readonly record struct Chain<T>(T[] From, int FromOffset, T[] To, int ToOffset, int Count, string[] Ops);

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
