using System.Diagnostics;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Vision.Models;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>resnet</c>: the anchors' <c>resnet_bench</c> (torch_anchor.py) — training steps of the course's
/// ResNet-18 (the zoo's <see cref="ResNet.ResNet18"/>: 1 input channel, 10 classes, full width) on one
/// fixed batch of 64 random 1×96×96 images with random labels, cross-entropy, SGD lr 0.05. Two
/// untimed warm-up steps, then <c>STEPS</c> timed steps (default 10, as the anchor); prints
/// <c>resnet18-train-96px-b64</c> images_per_s = 64 / mean seconds per step, and allocated_mb_per_step: the
/// managed memory the timed steps allocated (all threads), per step — the fresh memory that buffer recycling
/// saves, deterministic where the speed is not.
/// </summary>
/// <remarks>
/// The zoo's blocks are torchvision's (bias-free convolutions, BatchNorm on the 1×1 shortcut) where
/// the anchor's are d2l's (biased convolutions, plain 1×1 shortcut): 11.18 M parameters either way
/// and the same convolutions, so the work per step differs by a few bias and BatchNorm passes.
/// </remarks>
internal sealed class ResNetJob : IBenchJob
{
    const int BatchSize = 64, Size = 96, WarmupSteps = 2;

    public string Name => "resnet";

    public IEnumerable<Figure> Run()
    {
        int steps = int.TryParse(Environment.GetEnvironmentVariable("STEPS"), out int s) && s > 0 ? s : 10;
        Generator.ManualSeed(0);
        ResNet net = ResNet.ResNet18(inChannels: 1, numClasses: 10);
        var optimizer = new SGD(net.Parameters(), lr: 0.05);
        Tensor images = Tensor.Randn(BatchSize, 1, Size, Size);
        Tensor labels = Tensor.RandInt(0, 10, [BatchSize]);
        using ModuleProfiler? profiler = BenchOptions.Profile ? new ModuleProfiler(net) : null;
        long start = 0, allocatedBefore = 0;
        for (int i = 0; i < steps + WarmupSteps; i++)
        {
            if (i == WarmupSteps)
            {
                profiler?.Reset();
                start = Stopwatch.GetTimestamp();
                allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            }
            long stepStart = Stopwatch.GetTimestamp();
            Tensor loss = Functional.CrossEntropy(net.Call(images), labels);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            Console.Error.WriteLine($"resnet18 step {i + 1}/{steps + WarmupSteps}{(i < WarmupSteps ? " (warm-up)" : "")}: loss {loss.Item():F4}, {Stopwatch.GetElapsedTime(stepStart).TotalSeconds:F2} s");
        }
        double secondsPerStep = Stopwatch.GetElapsedTime(start).TotalSeconds / steps;
        double allocatedMbPerStep = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1e6 / steps;
        if (profiler is not null)
        {
            Console.Error.WriteLine($"resnet18: time per leaf module and step (mean of {steps} steps, sorted by forward + backward)");
            Console.Error.WriteLine(profiler.Table(steps, secondsPerStep));
        }

        yield return new Figure("resnet18-train-96px-b64", ("images_per_s", BatchSize / secondsPerStep), ("allocated_mb_per_step", allocatedMbPerStep));
    }
}
