using Nabla.NN;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>attention</c>: the anchors' causal scaled dot-product attention, forward and the gradients of Q, K and V, float32,
/// batch 32, 8 heads, sequence 128, head dim 64, through <see cref="Functional.ScaledDotProductAttention"/> (the fused
/// kernel); figure <c>sdpa-b32-h8-s128-d64-causal</c> gflops (3 · 4·b·h·s²·d per iteration, the masked half not
/// discounted, as the anchors count) and ms_per_iter: 2 warm-up calls, then the median of ITERS (default 10) timed
/// calls. Also <c>sdpa-b32-h8-s128-d64-causal-composite</c>: the same through the composite path (softmax of the
/// masked scores as tensor ops, as the PyTorch 1.13 anchor runs it), for the fused kernel's gain.
/// </summary>
internal sealed class AttentionJob : IBenchJob
{
    public string Name => "attention";

    public IEnumerable<Figure> Run()
    {
        const int batch = 32, heads = 8, length = 128, headDim = 64;
        int iterations = BenchIterations(10);
        var generator = new Generator(0);
        Tensor Input() => Tensor.Randn([batch, heads, length, headDim], DType.Float32, generator, requiresGrad: true);
        var (q, k, v) = (Input(), Input(), Input());
        var upstream = Tensor.Randn([batch, heads, length, headDim], DType.Float32, generator);
        double flops = 3.0 * 4 * batch * heads * length * length * headDim;

        void Fused() => Autograd.Grad([Functional.ScaledDotProductAttention(q, k, v, isCausal: true)], [q, k, v], [upstream]);
        double seconds = Timing.MedianSeconds(Fused, warmups: 2, rounds: iterations, repsPerRound: 1);
        yield return new Figure($"sdpa-b{batch}-h{heads}-s{length}-d{headDim}-causal", ("gflops", flops / seconds / 1e9), ("ms_per_iter", seconds * 1e3));

        void Composite() => Autograd.Grad([Functional.CompositeAttention(q, k, v, null, 0, isCausal: true, 1 / Math.Sqrt(headDim), null)], [q, k, v], [upstream]);
        seconds = Timing.MedianSeconds(Composite, warmups: 2, rounds: iterations, repsPerRound: 1);
        yield return new Figure($"sdpa-b{batch}-h{heads}-s{length}-d{headDim}-causal-composite", ("gflops", flops / seconds / 1e9), ("ms_per_iter", seconds * 1e3));
    }

    /// <summary>The anchors' ITERS (timed calls), or <paramref name="fallback"/>.</summary>
    internal static int BenchIterations(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("ITERS"), out int iterations) && iterations > 0 ? iterations : fallback;
}
