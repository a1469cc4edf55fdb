using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>memory</c>: 3,000 training steps of an MLP (784-256-10, batch 64, SGD) with no <c>Dispose</c>
/// anywhere, reporting the process's resident set size at steps 100, 1,000 and 3,000 (MB) and the
/// ratio of the last two: a flat loop has a ratio near 1. (Between steps 100 and 1,000 the runtime
/// is still compiling hot methods at higher tiers, which adds a few MB of code.)
/// </summary>
internal sealed class MemoryJob : IBenchJob
{
    public string Name => "memory";

    public IEnumerable<Figure> Run()
    {
        var generator = new Generator(7);
        var model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10));
        var optimizer = new SGD(model.Parameters(), lr: 0.1);
        var inputs = Tensor.Randn([64, 784], generator: generator);
        var labels = Tensor.RandInt(0, 10, [64], generator: generator);
        double rss100 = 0, rss1000 = 0, rss3000 = 0;
        for (int step = 1; step <= 3000; step++)
        {
            var loss = Functional.CrossEntropy(model.Call(inputs), labels);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            if (step == 100) rss100 = Environment.WorkingSet / 1e6;
            if (step == 1000) rss1000 = Environment.WorkingSet / 1e6;
            if (step == 3000) rss3000 = Environment.WorkingSet / 1e6;
        }
        yield return new Figure("mlp-train-memory", ("rss_mb_step100", rss100), ("rss_mb_step1000", rss1000), ("rss_mb_step3000", rss3000), ("ratio", rss3000 / rss1000));
    }
}
