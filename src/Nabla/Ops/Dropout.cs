using Nabla.Backends.Cpu;

namespace Nabla;

// Inverted dropout as one fused op (the public entry point is NN.Functional.Dropout).
public partial class Tensor
{
    /// <summary>
    /// This tensor with element n (row-major) multiplied by 1/(1 − p) when <see cref="DropoutKernel"/> keeps it for
    /// <paramref name="seed"/>, by 0 otherwise: one pass, no mask stored. The backward applies the same seed to the
    /// gradient (the same op, so it is itself differentiable). Requires a floating dtype and 0 ≤ p &lt; 1.
    /// </summary>
    internal Tensor DropoutWithSeed(double p, ulong seed)
    {
        var source = Contiguous();
        var result = Uninitialized(shape, DType, "Dropout");
        int count = result.Count;
        if (count > 0)
        {
            uint key = CounterHash.Key(seed);
            int threshold = DropoutKernel.Threshold(p);
            double scale = 1 / (1 - p);
            if (count < ParallelElements) Run(source, result, 0, count, key, threshold, scale);
            else
                WorkerPool.For((count + ChunkElements - 1) / ChunkElements, 2, (start, end) =>
                {
                    int begin = start * ChunkElements;
                    Run(source, result, begin, Math.Min(end * ChunkElements, count) - begin, key, threshold, scale);
                });
        }
        if (Node.ShouldRecord(this)) Node.Record(result, "NativeDropoutBackward0", [this], g => [g.DropoutWithSeed(p, seed)]);
        return result;

        static void Run(Tensor source, Tensor result, int begin, int length, uint key, int threshold, double scale)
        {
            if (source.DType == DType.Float32)
                DropoutKernel.Apply(source.Span<float>().Slice(begin, length), result.Span<float>().Slice(begin, length), key, begin, threshold, (float)scale);
            else
                DropoutKernel.Apply(source.Span<double>().Slice(begin, length), result.Span<double>().Slice(begin, length), key, begin, threshold, scale);
        }
    }
}
