using System.Diagnostics;
using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Tests.TestSupport;
using Nabla.Training;
using Nabla.Vision;
using Nabla.Vision.Datasets;
using Nabla.Vision.Models;

namespace Nabla.Tests.Training;

[Collection(DefaultGeneratorCollection.Name)]
public sealed class TrainerTests
{
    private static DataLoader<(Tensor Image, Tensor Label)> Loader(bool train, int batchSize, long seed = 0) =>
        new(new FashionMnistDataset(FashionMnist.LoadSample(train)), batchSize, shuffle: train, generator: new Generator(seed));

    [Fact]
    public void Softmax_regression_on_the_embedded_sample_beats_75_percent_test_accuracy()
    {
        Generator.ManualSeed(0);
        var model = SoftmaxRegression.Create();
        var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.1));
        var clock = Stopwatch.StartNew();

        List<EpochMetrics> history = trainer.Fit(Loader(train: true, 256), Loader(train: false, 1024), epochs: 5);

        Assert.Equal(5, history.Count);
        Assert.True(history[^1].TestAccuracy > 0.75, $"test accuracy {history[^1].TestAccuracy:F4} after 5 epochs");
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss, "the training loss falls");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    [Fact]
    public void LeNet_overfits_one_batch()
    {
        // 32 images seen again and again: the loss must fall from ~2.3 (chance) to below 0.05.
        Generator.ManualSeed(0);
        var (images, labels) = new FashionMnistDataset(FashionMnist.LoadSample(train: true)).GetBatch([.. Enumerable.Range(0, 32)]);
        var model = LeNet.Create();
        var trainer = new Trainer(model, new Adam(model.Parameters(), lr: 0.01));

        double first = trainer.Step(images, labels).Loss;
        double loss = first;
        int steps = 1;
        for (; steps < 150 && loss >= 0.05; steps++)
        {
            loss = trainer.Step(images, labels).Loss;
        }

        Assert.True(first > 2.0, $"initial loss {first:F4}");
        Assert.True(loss < 0.05, $"loss {loss:F4} after {steps} steps");
    }

    [Fact]
    public void Evaluate_uses_eval_mode_without_a_graph_and_restores_training_mode()
    {
        Generator.ManualSeed(0);
        // Dropout(p=1) zeroes everything in training mode; in evaluation mode it is the identity.
        var model = new Sequential(new Dropout(1.0), new Flatten(), new Linear(784, 10));
        bool sawGrad = true;
        model.RegisterForwardHook((_, _, output) => { sawGrad = output.RequiresGrad; });
        var data = new FashionMnistDataset(FashionMnist.LoadSample(train: false));
        var loader = new DataLoader<(Tensor Image, Tensor Label)>(data, batchSize: 500);

        double accuracy = Trainer.Evaluate(model, loader);

        Assert.True(model.Training);
        Assert.False(sawGrad);
        Assert.InRange(accuracy, 0.0, 1.0);
        // Same figure computed by hand in evaluation mode.
        model.Eval();
        long correct = 0;
        using (Autograd.NoGrad())
        {
            foreach (var (x, y) in loader)
            {
                correct += Trainer.CountCorrect(model.Call(x), y);
            }
        }
        Assert.Equal(correct / 1000.0, accuracy, 12);
    }

    [Fact]
    public void CountCorrect_counts_rows_whose_argmax_is_the_label()
    {
        var scores = Tensor.From(new float[] { 0.1f, 0.9f, 0.8f, 0.2f, 0.3f, 0.7f }, 3, 2);
        var labels = Tensor.From(new long[] { 1, 1, 1 });
        Assert.Equal(2, Trainer.CountCorrect(scores, labels));
    }

    [Fact]
    public void TrainEpoch_skips_the_batches_already_counted_and_stops_when_asked()
    {
        Generator.ManualSeed(0);
        var model = SoftmaxRegression.Create();
        var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.1));
        var loader = new DataLoader<(Tensor Image, Tensor Label)>(
            new FashionMnistDataset(DataSourceTake(1000)), batchSize: 100, shuffle: true, generator: new Generator(1));
        var reported = new List<int>();
        trainer.BatchEnd = m => reported.Add(m.Batch);
        var totals = new EpochTotals { Batches = 4, Samples = 400 };

        bool finished = trainer.TrainEpoch(1, loader, loader.Count, totals, shouldStop: () => totals.Batches == 7);

        Assert.False(finished);
        Assert.Equal([5, 6, 7], reported);
        Assert.Equal(700, totals.Samples);
    }

    private static MnistData DataSourceTake(int count) => Nabla.Cli.DataSource.Take(FashionMnist.LoadSample(train: true), count);

    [Fact]
    public void Step_adds_three_tenths_of_each_auxiliary_loss_for_googlenet_with_aux_heads()
    {
        Generator.ManualSeed(3);
        var model = new GoogLeNet(width: 0.0625, auxLogits: true);
        var inputs = Tensor.Randn(4, 1, 32, 32);
        var labels = Tensor.From(new long[] { 0, 3, 7, 9 });
        model.Train();

        // By hand: the same forward (the aux heads' dropout draws from the default generator, reseeded).
        Generator.ManualSeed(5);
        var (logits, aux) = model.ForwardWithAuxLogits(inputs);
        double main = Functional.CrossEntropy(logits, labels).Item();
        double aux1 = Functional.CrossEntropy(aux[0], labels).Item();
        double aux2 = Functional.CrossEntropy(aux[1], labels).Item();

        Generator.ManualSeed(5);
        var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.01));
        var (loss, _) = trainer.Step(inputs, labels);

        Assert.Equal(2, aux.Count);
        Assert.Equal(main + 0.3 * aux1 + 0.3 * aux2, loss, 5);
        Assert.True(loss - main > 0.5, $"aux losses {aux1:F4}, {aux2:F4} should count: total {loss:F4}, main {main:F4}");
        Assert.NotNull(model.Aux1!.Fc2.Weight.Grad);
        Assert.NotNull(model.Aux2!.Conv.Parameters().First().Grad);
    }

    [Fact]
    public void Step_uses_the_main_logits_alone_without_aux_heads_or_with_a_zero_weight()
    {
        Generator.ManualSeed(3);
        var plain = new GoogLeNet(width: 0.0625);
        var inputs = Tensor.Randn(4, 1, 32, 32);
        var labels = Tensor.From(new long[] { 0, 3, 7, 9 });
        double expected = Functional.CrossEntropy(plain.Call(inputs), labels).Item();

        var (loss, _) = new Trainer(plain, new SGD(plain.Parameters(), lr: 0.01)).Step(inputs, labels);

        Assert.Empty(plain.ForwardWithAuxLogits(inputs).AuxLogits);
        Assert.Equal(expected, loss, 5);

        Generator.ManualSeed(3);
        var withAux = new GoogLeNet(width: 0.0625, auxLogits: true);
        double main = Functional.CrossEntropy(withAux.Call(inputs), labels).Item();
        var unweighted = new Trainer(withAux, new SGD(withAux.Parameters(), lr: 0.01)) { AuxLossWeight = 0 };
        Assert.Equal(main, unweighted.Step(inputs, labels).Loss, 5);
    }
}
