using Nabla.Jit;
using Nabla.NN;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>linear-epilogue</c>: the <c>mlp</c> model's first layer with its ReLU, 784 → 256 at batch 256 and 1 (no grad), three ways
/// interleaved in one process (<see cref="Timing.InterleavedMedianSeconds"/>, 31 rounds of 10 calls): <c>-fused</c> is the
/// jit's fused linear node (one GEMM whose store adds the bias and applies the ReLU), <c>-two-pass</c> Linear then the
/// ReLU in place over its output (what that node ran before the epilogue), <c>-three-pass</c> x·Wᵀ, then + bias, then
/// the ReLU (a product with no epilogue at all). Key <c>us_per_call</c>.
/// </summary>
internal sealed class LinearEpilogueJob : IBenchJob
{
    public string Name => "linear-epilogue";

    public IEnumerable<Figure> Run()
    {
        var weight = Tensor.Randn([256, 784], generator: new Generator(1));
        var bias = Tensor.Randn([256], generator: new Generator(2));
        foreach (int batch in new[] { 256, 1 })
        {
            var x = Tensor.Randn([batch, 784], generator: new Generator(3));
            double[] seconds;
            using (Autograd.NoGrad())
            {
                seconds = Timing.InterleavedMedianSeconds(
                [
                    () => FusedKernels.LinearActivation(x, weight, bias, GraphOps.Relu),
                    () => FusedKernels.Activate(Functional.Linear(x, weight, bias), GraphOps.Relu),
                    () => FusedKernels.Activate(x.MatMul(weight.T) + bias, GraphOps.Relu),
                ], rounds: 31, repsPerRound: 10);
            }

            yield return new Figure($"linear-relu-784-256-b{batch}-fused", ("us_per_call", seconds[0] * 1e6));
            yield return new Figure($"linear-relu-784-256-b{batch}-two-pass", ("us_per_call", seconds[1] * 1e6));
            yield return new Figure($"linear-relu-784-256-b{batch}-three-pass", ("us_per_call", seconds[2] * 1e6));
        }
    }
}
