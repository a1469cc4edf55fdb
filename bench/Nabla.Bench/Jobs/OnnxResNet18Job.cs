using Nabla.NN;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Nabla.WeightPackages;
using Nabla.Vision.Models;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>onnx-resnet18</c>: inference of the ImageNet ResNet-18 of <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>
/// in Nabla (<see cref="Pretrained.ResNet18(int)"/>'s <see cref="ResNet.Features"/>, eval mode, no grad) against
/// OnnxRuntime's C# API on the same ONNX file in the same process (default session options: graph
/// optimisations on, all levels; 2 intra-op threads), on one fixed batch of random 3×224×224 inputs.
/// Prints <c>resnet18-imagenet-b32</c>, <c>resnet18-imagenet-b1</c> images_per_s and the same names ending in
/// <c>-onnxruntime</c>. The two run interleaved (Nabla's call, OnnxRuntime's call, in turn) for <c>ROUNDS</c>
/// rounds (default 3, after one warm-up call each), and each figure is the median round, so both see the
/// same machine. The outputs are checked to agree within 1e-3 before timing. With <c>--profile</c>, a table of
/// Nabla's time per residual block, pool and the rest (the stem) at batch 32 follows (<see cref="ModuleProfiler"/>, <c>ROUNDS</c> more calls).
/// </summary>
internal sealed class OnnxResNet18Job : IBenchJob
{
    public string Name => "onnx-resnet18";

    public IEnumerable<Figure> Run()
    {
        int rounds = int.TryParse(Environment.GetEnvironmentVariable("ROUNDS"), out int r) && r > 0 ? r : 3;
        var model = Pretrained.ResNet18();
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var session = new InferenceSession(OnnxBatch.WithDynamicBatch(PretrainedFiles.Locate(PretrainedFiles.ResNet18)), options);
        foreach (int batch in (int[])[32, 1])
        {
            Generator.ManualSeed(0);
            Tensor input = Tensor.Randn(batch, 3, 224, 224) * 60.0;
            float[] inputData = input.ToArray<float>();
            var onnxInput = new DenseTensor<float>(inputData, [batch, 3, 224, 224]);
            float[] nablaOutput = [], onnxOutput = [];
            void RunNabla()
            {
                using var noGrad = Autograd.NoGrad();
                nablaOutput = model.Features(input).ToArray<float>();
            }
            void RunOnnx()
            {
                using var results = session.Run([NamedOnnxValue.CreateFromTensor("Input247", onnxInput)]);
                onnxOutput = [.. results[0].AsEnumerable<float>()];
            }
            RunNabla();
            RunOnnx();
            double worst = nablaOutput.Zip(onnxOutput, (a, b) => Math.Abs(a - b)).Max();
            if (worst > 1e-3) throw new InvalidOperationException($"onnx-resnet18: Nabla and OnnxRuntime differ by {worst} at batch {batch}.");
            int reps = batch == 1 ? 8 : 1;
            double[] seconds = Timing.InterleavedMedianSeconds([RunNabla, RunOnnx], rounds, reps);
            Console.Error.WriteLine($"onnx-resnet18 b{batch}: Nabla {seconds[0] * 1e3:F0} ms, OnnxRuntime {seconds[1] * 1e3:F0} ms per batch (median of {rounds} interleaved rounds of {reps}); largest output difference {worst:E2}");
            if (BenchOptions.Profile && batch == 32)
            {
                // Whole blocks, the max pool and the average pool (the stem's fused convolution is the time outside them):
                // hooks on a block's own layers would switch its fusion off.
                using var profiler = new ModuleProfiler(model, (name, module) => module is BasicBlock or MaxPool2d or AdaptiveAvgPool2d);
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                for (int i = 0; i < rounds; i++) RunNabla();
                double perCall = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds / rounds;
                Console.Error.WriteLine($"onnx-resnet18 b{batch}: time per block and call (mean of {rounds} calls, sorted)");
                Console.Error.WriteLine(profiler.Table(rounds, perCall, top: 40));
                var conv1 = (Conv2d)model.NamedChildren().First(c => c.Name == "conv1").Module;
                var bn1 = (BatchNorm2d)model.NamedChildren().First(c => c.Name == "bn1").Module;
                using (Autograd.NoGrad())
                {
                    bool stemKernel = Nabla.Backends.Cpu.StemConvolution.Enabled;
                    void Stem(bool direct)
                    {
                        Nabla.Backends.Cpu.StemConvolution.Enabled = direct;
                        ConvBatchNormFolding.Forward(input, conv1, bn1, relu: true);
                    }
                    double[] stem = Timing.InterleavedMedianSeconds([() => Stem(true), () => Stem(false)], rounds, 1);
                    Nabla.Backends.Cpu.StemConvolution.Enabled = stemKernel;
                    Console.Error.WriteLine($"onnx-resnet18 b{batch}: the stem's fused convolution alone {stem[0] * 1e3:F1} ms (StemConvolution), {stem[1] * 1e3:F1} ms (im2col)");
                }
            }
            yield return new Figure($"resnet18-imagenet-b{batch}", ("images_per_s", batch / seconds[0]));
            yield return new Figure($"resnet18-imagenet-b{batch}-onnxruntime", ("images_per_s", batch / seconds[1]));
        }
    }
}
