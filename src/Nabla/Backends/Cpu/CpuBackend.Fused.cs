using System.Numerics;
using System.Numerics.Tensors;

namespace Nabla.Backends.Cpu;

// The single-pass elementwise ops: inverted dropout (DropoutKernel), the unary chains of a compiled graph, both split over
// the worker pool like the other contiguous elementwise passes (ForChunks), and an optimizer's step (OptimizerKernels).
internal sealed partial class CpuBackend
{
    /// <summary>Elements of a chain's block: each block goes through every op of the chain while it sits in L1.</summary>
    const int ChainBlock = 4096;

    public Tensor Dropout(Tensor x, double p, ulong seed)
    {
        var result = Allocate(x.shape, x.DType, zeroed: false, "Dropout");
        int count = result.Count;
        if (count == 0) return result;
        uint key = CounterHash.Key(seed);
        int threshold = DropoutKernel.Threshold(p);
        double scale = 1 / (1 - p);
        if (count < ParallelElements) DropoutChunk(x, result, 0, count, key, threshold, scale);
        else ForChunks(count, 2, (begin, length) => DropoutChunk(x, result, begin, length, key, threshold, scale));
        return result;
    }

    static void DropoutChunk(Tensor source, Tensor result, int begin, int length, uint key, int threshold, double scale)
    {
        if (source.DType == DType.Float32)
            DropoutKernel.Apply(source.HostSpan<float>().Slice(begin, length), result.HostSpan<float>().Slice(begin, length), key, begin, threshold, (float)scale);
        else
            DropoutKernel.Apply(source.HostSpan<double>().Slice(begin, length), result.HostSpan<double>().Slice(begin, length), key, begin, threshold, scale);
    }

    public void UnaryChain(Tensor source, Tensor destination, ChainOp[] ops)
    {
        if (destination.DType == DType.Float32) UnaryChain<float>(source, destination, ops);
        else UnaryChain<double>(source, destination, ops);
    }

    static void UnaryChain<T>(Tensor source, Tensor destination, ChainOp[] ops) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = destination.Count;
        if (count < ParallelElements)
        {
            ApplyChain<T>(source.HostSpan<T>(), destination.HostSpan<T>(), ops);
            return;
        }
        // The operands go to the workers as a value, not a closure: a compiled graph's call allocates nothing.
        var chain = new Chain<T>(source.HostData<T>(), source.offset, destination.HostData<T>(), destination.offset, count, ops);
        WorkerPool.For((count + ChunkElements - 1) / ChunkElements, 2, chain, static (chain, start, end) =>
        {
            int begin = start * ChunkElements, length = Math.Min(end * ChunkElements, chain.Count) - begin;
            ApplyChain<T>(chain.From.AsSpan(chain.FromOffset + begin, length), chain.To.AsSpan(chain.ToOffset + begin, length), chain.Ops);
        });
    }

    /// <summary>The operands of a parallel chain.</summary>
    readonly record struct Chain<T>(T[] From, int FromOffset, T[] To, int ToOffset, int Count, ChainOp[] Ops);

    /// <summary>destination = opₖ(… op₁(source)), block by block (TensorPrimitives' vectorised loops).</summary>
    static void ApplyChain<T>(ReadOnlySpan<T> source, Span<T> destination, ReadOnlySpan<ChainOp> ops) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int start = 0; start < source.Length; start += ChainBlock)
        {
            int length = Math.Min(ChainBlock, source.Length - start);
            ReadOnlySpan<T> from = source.Slice(start, length);
            var block = destination.Slice(start, length);
            foreach (var op in ops)
            {
                switch (op)
                {
                    case ChainOp.Relu: TensorPrimitives.Max(from, T.Zero, block); break;
                    case ChainOp.Sigmoid: TensorPrimitives.Sigmoid(from, block); break;
                    case ChainOp.Tanh: TensorPrimitives.Tanh(from, block); break;
                    case ChainOp.Neg: TensorPrimitives.Negate(from, block); break;
                    default: TensorPrimitives.Exp(from, block); break;
                }
                from = block;
            }
        }
    }

    /// <summary>From this many elements on, a parameter's update runs on the pool's threads, a slice each.</summary>
    const int OptimizerParallelElements = 1 << 16;

    /// <summary>
    /// The update of every element, in slices on the pool's threads for a large parameter (a smaller one runs inline:
    /// WorkerPool.For needs two slices of OptimizerParallelElements / 2): each element's update reads only its own position,
    /// so the split changes no result.
    /// </summary>
    public void OptimizerUpdate<T, TUpdate>(in TUpdate update, Tensor parameter, Tensor grad, Tensor? a, Tensor? b, Tensor? c)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TUpdate : struct, IVectorUpdate<T>
    {
        var rule = update;
        WorkerPool.For(parameter.Count, OptimizerParallelElements / 2, (begin, end) => OptimizerKernels.Run(rule, parameter.HostSpan<T>()[begin..end],
            grad.HostSpan<T>()[begin..end], SpanOf<T>(a, begin, end), SpanOf<T>(b, begin, end), SpanOf<T>(c, begin, end)));
    }

    static Span<T> SpanOf<T>(Tensor? t, int begin, int end) => t is null ? default : t.HostSpan<T>()[begin..end];
}
