using System.Diagnostics;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>mlp-step</c>: the <c>mlp</c> job's training step (Flatten, Linear(784, 256), ReLU, Linear(256, 10), cross-entropy,
/// SGD lr 0.1, batch 256 gathered by index from a 60,000-image set) on seeded random data, for machines without
/// Fashion-MNIST: the step's cost does not depend on the pixels. <c>STEPS</c> steps (default 470, two epochs) after 20
/// warm-up steps; prints the median step and the median of each phase in µs (gather, forward, loss, backward, optimizer
/// step) with their means (a loaded machine's stalls land in the means), <c>epoch_s</c> = 235 median steps, comparable with
/// the anchors' <c>mlp-784-256-10</c> median_epoch_s, the managed bytes allocated per step and the collections.
/// </summary>
internal sealed class MlpStepJob : IBenchJob
{
    public string Name => "mlp-step";

    public IEnumerable<Figure> Run()
    {
        int steps = int.TryParse(Environment.GetEnvironmentVariable("STEPS"), out int s) ? s : 470;
        const int images = 60_000, batch = 256;
        var data = Tensor.Rand([images, 1, 28, 28], generator: new Generator(1));
        var labels = Tensor.RandInt(0, 10, [images], generator: new Generator(2));
        var net = Nabla.Vision.Models.Mlp.Create(generator: new Generator(0));
        var optimizer = new SGD(net.Parameters(), lr: 0.1);
        var permutation = Tensor.RandPerm(images, generator: new Generator(3));
        string[] phases = ["gather_us", "forward_us", "loss_us", "backward_us", "optimizer_us"];
        var times = new double[phases.Length + 1][];
        for (int p = 0; p < times.Length; p++) times[p] = new double[steps];
        int gen0 = 0, gen2 = 0;
        long allocated = 0;
        for (int step = -20; step < steps; step++)
        {
            if (step == 0)
            {
                (gen0, gen2, allocated) = (GC.CollectionCount(0), GC.CollectionCount(2), GC.GetTotalAllocatedBytes(precise: true));
            }

            int at = ((step + 20) * batch) % (images - batch);
            long t0 = Stopwatch.GetTimestamp();
            var index = permutation.Narrow(0, at, batch);
            var x = data.IndexSelect(0, index);
            var y = labels.IndexSelect(0, index);
            long t1 = Stopwatch.GetTimestamp();
            var scores = net.Call(x);
            long t2 = Stopwatch.GetTimestamp();
            var loss = Functional.CrossEntropy(scores, y);
            long t3 = Stopwatch.GetTimestamp();
            optimizer.ZeroGrad();
            loss.Backward();
            long t4 = Stopwatch.GetTimestamp();
            optimizer.Step();
            _ = loss.Item();
            long t5 = Stopwatch.GetTimestamp();
            if (step < 0) continue;
            long[] marks = [t0, t1, t2, t3, t4, t5];
            for (int p = 0; p < phases.Length; p++) times[p][step] = Stopwatch.GetElapsedTime(marks[p], marks[p + 1]).TotalMicroseconds;
            times[^1][step] = Stopwatch.GetElapsedTime(t0, t5).TotalMicroseconds;
        }
        var values = new List<(string, double)> { ("step_us", Median(times[^1])), ("epoch_s", Median(times[^1]) * 235 / 1e6), ("mean_step_us", times[^1].Average()) };
        for (int p = 0; p < phases.Length; p++) values.Add((phases[p], Median(times[p])));
        for (int p = 0; p < phases.Length; p++) values.Add(("mean_" + phases[p], times[p].Average()));
        values.Add(("allocated_kb_per_step", (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0 / steps));
        values.Add(("gc_per_100_steps", 100.0 * (GC.CollectionCount(0) - gen0) / steps));
        values.Add(("gen2_per_100_steps", 100.0 * (GC.CollectionCount(2) - gen2) / steps));
        yield return new Figure("mlp-784-256-10-synthetic", [.. values]);
    }

    static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }
}
