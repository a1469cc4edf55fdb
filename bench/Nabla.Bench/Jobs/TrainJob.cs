using System.Diagnostics;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Training;
using Nabla.Vision.Datasets;
using Nabla.Vision.Models;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>mlp</c> and <c>lenet</c>: the anchors' training recipes on Fashion-MNIST (torch_anchor.py's
/// <c>train</c>): Xavier-uniform init, SGD, batch 256, a fresh random permutation each epoch,
/// <c>EPOCHS</c> epochs (default 3). Prints <c>median_epoch_s</c> and the final <c>test_acc</c>
/// under the anchors' job names.
/// </summary>
internal sealed class TrainJob(string name, string figure, Func<Sequential> model, double lr) : IBenchJob
{
    public string Name => name;

    public static TrainJob Mlp() => new("mlp", "mlp-784-256-10", () => Nabla.Vision.Models.Mlp.Create(), 0.1);

    public static TrainJob LeNet() => new("lenet", "lenet-sigmoid-avgpool", () => Nabla.Vision.Models.LeNet.Create(), 0.9);

    public IEnumerable<Figure> Run()
    {
        int epochs = int.TryParse(Environment.GetEnvironmentVariable("EPOCHS"), out int e) ? e : 3;
        var (trainImages, trainLabels) = new FashionMnistDataset(train: true).AsTensors();
        var (testImages, testLabels) = new FashionMnistDataset(train: false).AsTensors();
        var net = model();
        InitWeights.XavierUniform(net);
        var trainer = new Trainer(net, new SGD(net.Parameters(), lr: lr));
        var times = new List<double>();
        int n = trainImages.Shape[0];
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var permutation = Tensor.RandPerm(n);
            long start = Stopwatch.GetTimestamp();
            double totalLoss = 0;
            for (int i = 0; i < n; i += 256)
            {
                var batch = permutation.Narrow(0, i, Math.Min(256, n - i));
                var (loss, _) = trainer.Step(trainImages.IndexSelect(0, batch), trainLabels.IndexSelect(0, batch));
                totalLoss += loss * batch.Shape[0];
            }
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            Console.Error.WriteLine($"{figure} epoch {epoch}: loss {totalLoss / n:F4} time {times[^1]:F2}s");
        }
        double accuracy = Trainer.Evaluate(net, Batches(testImages, testLabels, 1024));
        times.Sort();
        yield return new Figure(figure, ("median_epoch_s", times[times.Count / 2]), ("test_acc", accuracy));
    }

    static IEnumerable<(Tensor, Tensor)> Batches(Tensor images, Tensor labels, int size)
    {
        for (int i = 0; i < images.Shape[0]; i += size)
        {
            int count = Math.Min(size, images.Shape[0] - i);
            yield return (images.Narrow(0, i, count), labels.Narrow(0, i, count));
        }
    }
}
