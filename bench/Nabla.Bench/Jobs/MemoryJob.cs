using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>memory</c>: 1,000 training steps of an MLP (784-256-10, batch 64, SGD) with no <c>Dispose</c>
/// anywhere, reporting the process's resident set size at step 100 and step 1,000
/// (<c>rss-step100</c>, <c>rss-step1000</c>, MB) and their ratio: a flat loop has a ratio near 1.
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
        double rss100 = 0, rss1000 = 0;
        for (int step = 1; step <= 1000; step++)
        {
            var loss = Functional.CrossEntropy(model.Call(inputs), labels);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            if (step == 100) rss100 = Environment.WorkingSet / 1e6;
            if (step == 1000) rss1000 = Environment.WorkingSet / 1e6;
        }
        yield return new Figure("mlp-train-memory", ("rss_mb_step100", rss100), ("rss_mb_step1000", rss1000), ("ratio", rss1000 / rss100));
    }
}
