using Nabla.Jit;
using Nabla.NN;
using Nabla.Vision.Models;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>jit</c>: inference latency per call (eval mode, no autograd) as the anchors' <c>jit_bench</c> measures it: the <c>mlp</c>
/// model at batch 1 and 256 and the course LeNet at batch 256, 7 chunks of 2000 / 100 / 10 calls after a warm-up, the median
/// chunk per call (measured in both orders and averaged). <c>infer-*</c> is the eager module, <c>infer-*-traced</c> the <see cref="CompiledModule"/> of
/// <c>module.Compile(x)</c> run into a bound output (<see cref="CompiledModule.Run(Tensor, Tensor)"/>, as OnnxRuntime's bound outputs);
/// the traced figures also give the managed bytes a steady-state call allocates, on every thread (the worker pool's included).
/// </summary>
internal sealed class JitJob : IBenchJob
{
    public string Name => "jit";

    public IEnumerable<Figure> Run()
    {
        int chunks = int.TryParse(Environment.GetEnvironmentVariable("ITERS"), out var iters) ? iters : 7;
        var cases = new (string Name, Func<Module<Tensor, Tensor>> Model, int Batch, int Calls)[]
        {
            ("mlp-b1", () => Mlp.Create(generator: new Generator(0)), 1, 2000),
            ("mlp-b256", () => Mlp.Create(generator: new Generator(0)), 256, 100),
            ("lenet-b256", () => LeNet.Create(generator: new Generator(0)), 256, 10),
        };
        foreach (var (name, create, batch, calls) in cases)
        {
            var model = create();
            var x = Tensor.Randn([batch, 1, 28, 28], generator: new Generator(1));
            var compiled = model.Compile(x);
            model.Eval();
            void Eager() { using (Autograd.NoGrad()) _ = model.Call(x); }
            var output = compiled.Call(x);
            void Traced() => compiled.Run(x, output);
            // Interleaved chunks, so that both see the same machine on a loaded host, in both orders (whichever runs first in a
            // round was seen to gain or lose up to 30%): the figure is the mean of the two medians.
            var eagerFirst = Timing.InterleavedMedianSeconds([Eager, Traced], chunks, calls);
            var tracedFirst = Timing.InterleavedMedianSeconds([Traced, Eager], chunks, calls);
            double[] seconds = [(eagerFirst[0] + tracedFirst[1]) / 2, (eagerFirst[1] + tracedFirst[0]) / 2];
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < calls; i++) Traced();
            double bytes = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)calls;
            yield return new Figure($"infer-{name}", ("us_per_batch", seconds[0] * 1e6));
            yield return new Figure($"infer-{name}-traced", ("us_per_batch", seconds[1] * 1e6), ("allocated_bytes_per_call", bytes));
        }
    }
}
