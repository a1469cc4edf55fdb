using System.Diagnostics;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Vision.Models;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>alexnet</c>, <c>vgg11</c>, <c>nin</c>, <c>googlenet</c>, <c>densenet</c>: training steps of the
/// course's CNNs (d2l chapter 8, the zoo's models: 1 input channel, 10 classes) on one fixed batch of
/// 32 random images at the course's input size (224 px; 96 for DenseNet), cross-entropy, SGD with the
/// course's learning rate. One untimed warm-up step, then <c>STEPS</c> timed steps (default 2); prints
/// e.g. <c>alexnet-train-224px-b32</c> images_per_s = 32 / mean seconds per step. A model whose
/// full-width step takes more than about 20 s on 2 cores runs at a width multiplier, named in the
/// figure (<c>vgg11-w0.25-train-224px-b32</c>: the course's own VGG width at 224 px).
/// <c>WIDTH</c> overrides the width multiplier (e.g. <c>WIDTH=1</c> for VGG's full width). With
/// <c>--profile</c>, a per-module table of the timed steps goes to stderr.
/// </summary>
internal sealed class ZooTrainJob(string name, string model, int size, double defaultWidth, double lr, Func<double, Module<Tensor, Tensor>> create) : IBenchJob
{
    private const int BatchSize = 32, WarmupSteps = 1;

    public static ZooTrainJob AlexNet() => new("alexnet", "alexnet", 224, 1.0, 0.01, w => new AlexNet(width: w));

    // Full width: 7.6 GMAC per image forward, about a minute per step of 32 on 2 busy cores.
    public static ZooTrainJob Vgg11() => new("vgg11", "vgg11", 224, 0.25, 0.05, w => VGG.VGG11(width: w));

    public static ZooTrainJob NiN() => new("nin", "nin", 224, 1.0, 0.1, w => new NiN(width: w));

    public static ZooTrainJob GoogLeNet() => new("googlenet", "googlenet", 224, 1.0, 0.1, w => new GoogLeNet(width: w));

    public static ZooTrainJob DenseNet() => new("densenet", "densenet", 96, 1.0, 0.1, w => new DenseNet(width: w));

    public string Name => name;

    public IEnumerable<Figure> Run()
    {
        int steps = int.TryParse(Environment.GetEnvironmentVariable("STEPS"), out int s) && s > 0 ? s : 2;
        double width = double.TryParse(Environment.GetEnvironmentVariable("WIDTH"), System.Globalization.CultureInfo.InvariantCulture, out double w) && w > 0 ? w : defaultWidth;
        Generator.ManualSeed(0);
        Module<Tensor, Tensor> net = create(width);
        InitWeights.XavierUniform(net);
        var optimizer = new SGD(net.Parameters(), lr: lr);
        Tensor images = Tensor.Randn(BatchSize, 1, size, size);
        Tensor labels = Tensor.RandInt(0, 10, [BatchSize]);
        using ModuleProfiler? profiler = BenchOptions.Profile ? new ModuleProfiler(net) : null;
        string label = width == 1.0 ? model : FormattableString.Invariant($"{model}-w{width}");
        double timed = 0;
        for (int i = 0; i < steps + WarmupSteps; i++)
        {
            if (i == WarmupSteps)
            {
                profiler?.Reset();
            }
            long start = Stopwatch.GetTimestamp();
            Tensor loss = Functional.CrossEntropy(net.Call(images), labels);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (i >= WarmupSteps)
            {
                timed += seconds;
            }
            Console.Error.WriteLine($"{label} step {i + 1}/{steps + WarmupSteps}{(i < WarmupSteps ? " (warm-up)" : "")}: loss {loss.Item():F4}, {seconds:F2} s");
        }
        double secondsPerStep = timed / steps;
        if (profiler is not null)
        {
            Console.Error.WriteLine($"{label}: time per leaf module and step (mean of {steps} steps, sorted by forward + backward)");
            Console.Error.WriteLine(profiler.Table(steps, secondsPerStep));
        }
        yield return new Figure($"{label}-train-{size}px-b{BatchSize}", ("images_per_s", BatchSize / secondsPerStep));
    }
}
