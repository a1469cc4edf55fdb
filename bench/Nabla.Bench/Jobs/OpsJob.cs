namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>ops</c>: per-op framework overhead on 8×8 float32 tensors, as the anchors define it:
/// <c>tiny-add-overhead</c> (µs per <c>a + b</c>) and <c>tiny-mul-sum-backward</c> (µs per
/// <c>(a * b).Sum().Backward()</c> with <c>a</c> requiring grad).
/// </summary>
internal sealed class OpsJob : IBenchJob
{
    public string Name => "ops";

    public IEnumerable<Figure> Run()
    {
        var a = Tensor.Randn([8, 8], generator: new Generator(1));
        var b = Tensor.Randn([8, 8], generator: new Generator(2));
        double add = Timing.MedianSeconds(() => _ = a + b, warmups: 20000, rounds: 9, repsPerRound: 50000);
        yield return new Figure("tiny-add-overhead", ("us_per_op", add * 1e6));

        var x = Tensor.Randn([8, 8], generator: new Generator(3), requiresGrad: true);
        // Like the anchors, gradients accumulate into x.Grad across iterations.
        double backward = Timing.MedianSeconds(() => (x * b).Sum().Backward(), warmups: 2000, rounds: 9, repsPerRound: 5000);
        yield return new Figure("tiny-mul-sum-backward", ("us_per_iter", backward * 1e6));
    }
}
