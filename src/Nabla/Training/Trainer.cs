using System.Diagnostics;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Training;

/// <summary>
/// The course's classification training loop (<c>d2l.train_ch3</c> / <c>train_ch6</c>): for each
/// batch, forward, loss, backward, optimizer step; after each epoch, test accuracy in evaluation
/// mode without a graph. It keeps the running loss and accuracy and reports them per batch and
/// per epoch.
/// </summary>
/// <example>
/// <code>
/// var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.1));
/// trainer.Fit(trainLoader, testLoader, epochs: 10, onEpoch: m => Console.WriteLine(m));
/// </code>
/// </example>
public sealed class Trainer
{
    private readonly Func<Tensor, Tensor, Tensor> loss;

    /// <summary>A trainer for <paramref name="model"/>.</summary>
    /// <param name="model">Maps a batch of inputs to class scores <c>[N, classes]</c>.</param>
    /// <param name="optimizer">Updates the model's parameters.</param>
    /// <param name="loss">Mean loss of a batch from scores and labels; cross-entropy when null.</param>
    public Trainer(Module<Tensor, Tensor> model, Optimizer optimizer, Func<Tensor, Tensor, Tensor>? loss = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        Model = model;
        Optimizer = optimizer;
        this.loss = loss ?? ((scores, labels) => Functional.CrossEntropy(scores, labels));
    }

    /// <summary>The model being trained.</summary>
    public Module<Tensor, Tensor> Model { get; }

    /// <summary>The optimizer that updates <see cref="Model"/>.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>
    /// Weight of each auxiliary head's loss for models with <see cref="IAuxiliaryLogits"/>
    /// (torchvision's GoogLeNet recipe: 0.3, so loss = main + 0.3 · aux1 + 0.3 · aux2).
    /// </summary>
    public double AuxLossWeight { get; set; } = 0.3;

    /// <summary>Called after every training batch with the epoch's running figures.</summary>
    public Action<BatchMetrics>? BatchEnd { get; set; }

    /// <summary>
    /// One optimisation step on one batch: forward, loss, backward, step.
    /// </summary>
    /// <param name="inputs">The batch's inputs.</param>
    /// <param name="labels">The batch's class indices (Int64 <c>[N]</c>).</param>
    /// <returns>The batch's mean loss (before the step) and how many samples the model got right.</returns>
    /// <remarks>
    /// A model with auxiliary heads (<see cref="IAuxiliaryLogits"/>, e.g. GoogLeNet built with
    /// <c>auxLogits: true</c>) is trained on torchvision's recipe: loss = main loss +
    /// <see cref="AuxLossWeight"/> × each head's loss, with the same loss function; the accuracy
    /// counts the main logits only.
    /// </remarks>
    public (double Loss, long Correct) Step(Tensor inputs, Tensor labels)
    {
        Tensor scores;
        Tensor batchLoss;
        if (Model is IAuxiliaryLogits withAux && Model.Training)
        {
            (scores, var auxLogits) = withAux.ForwardWithAuxLogits(inputs);
            batchLoss = loss(scores, labels);
            foreach (Tensor aux in auxLogits)
            {
                batchLoss = batchLoss + AuxLossWeight * loss(aux, labels);
            }
        }
        else
        {
            scores = Model.Call(inputs);
            batchLoss = loss(scores, labels);
        }
        Optimizer.ZeroGrad();
        batchLoss.Backward();
        Optimizer.Step();
        return (batchLoss.Item(), CountCorrect(scores, labels));
    }

    /// <summary>
    /// Trains over the batches of one epoch, adding to <paramref name="totals"/>. When
    /// <paramref name="totals"/> already counts some batches (a resumed epoch), that many batches
    /// are skipped first: the loader must yield the same order as the interrupted run.
    /// </summary>
    /// <param name="epoch">The epoch, counted from 1, for the progress reports.</param>
    /// <param name="batches">The epoch's batches, e.g. a <c>DataLoader</c>.</param>
    /// <param name="batchCount">How many batches the epoch has, for the progress reports.</param>
    /// <param name="totals">The epoch's running sums; updated after every batch.</param>
    /// <param name="shouldStop">Asked after every batch; when it returns true the epoch stops there.</param>
    /// <returns>True when the epoch ran to its end, false when <paramref name="shouldStop"/> stopped it.</returns>
    public bool TrainEpoch(int epoch, IEnumerable<(Tensor Image, Tensor Label)> batches, int batchCount, EpochTotals totals,
        Func<bool>? shouldStop = null)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(totals);
        Model.Train();
        int skip = totals.Batches;
        int index = 0;
        // The time of a batch runs from the end of the previous one, so waiting for data counts too.
        long start = Stopwatch.GetTimestamp();
        foreach (var (inputs, labels) in batches)
        {
            if (index++ < skip)
            {
                start = Stopwatch.GetTimestamp();
                continue;
            }
            var (batchLoss, correct) = Step(inputs, labels);
            long end = Stopwatch.GetTimestamp();
            totals.Seconds += Stopwatch.GetElapsedTime(start, end).TotalSeconds;
            start = end;
            int count = labels.Size(0);
            totals.Batches++;
            totals.Samples += count;
            totals.LossSum += batchLoss * count;
            totals.Correct += correct;
            BatchEnd?.Invoke(new BatchMetrics(epoch, totals.Batches, batchCount, totals.Loss, totals.Accuracy, totals.SamplesPerSecond));
            if (shouldStop?.Invoke() == true)
            {
                return totals.Batches >= batchCount;
            }
        }
        return true;
    }

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs and evaluates on <paramref name="testBatches"/>
    /// after each one.
    /// </summary>
    /// <param name="trainBatches">The training batches; enumerated once per epoch (a shuffling loader reshuffles).</param>
    /// <param name="testBatches">The test batches.</param>
    /// <param name="epochs">Number of epochs.</param>
    /// <param name="onEpoch">Called with each epoch's summary.</param>
    /// <returns>The summaries of all epochs.</returns>
    public List<EpochMetrics> Fit(IEnumerable<(Tensor Image, Tensor Label)> trainBatches, IEnumerable<(Tensor Image, Tensor Label)> testBatches,
        int epochs, Action<EpochMetrics>? onEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(trainBatches);
        ArgumentNullException.ThrowIfNull(testBatches);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        int batchCount = trainBatches is Data.DataLoader<(Tensor, Tensor), (Tensor, Tensor)> loader ? loader.Count
            : trainBatches.TryGetNonEnumeratedCount(out int count) ? count : 0;
        var history = new List<EpochMetrics>(epochs);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var totals = new EpochTotals();
            TrainEpoch(epoch, trainBatches, batchCount, totals);
            var metrics = Summarize(epoch, totals, Evaluate(Model, testBatches));
            history.Add(metrics);
            onEpoch?.Invoke(metrics);
        }
        return history;
    }

    /// <summary>The summary of an epoch from its totals and its test accuracy.</summary>
    public static EpochMetrics Summarize(int epoch, EpochTotals totals, double testAccuracy)
    {
        ArgumentNullException.ThrowIfNull(totals);
        return new EpochMetrics(epoch, totals.Loss, totals.Accuracy, testAccuracy, totals.Seconds, totals.SamplesPerSecond);
    }

    /// <summary>
    /// Classification accuracy of <paramref name="model"/> over <paramref name="batches"/>, in
    /// evaluation mode (dropout off, batch norm on running statistics) and without recording a
    /// graph; the model's training mode is restored afterwards.
    /// </summary>
    /// <param name="model">The classifier.</param>
    /// <param name="batches">Inputs and labels.</param>
    /// <returns>The fraction of samples predicted right (NaN when there are none).</returns>
    public static double Evaluate(Module<Tensor, Tensor> model, IEnumerable<(Tensor Image, Tensor Label)> batches)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        bool wasTraining = model.Training;
        model.Eval();
        long correct = 0, total = 0;
        try
        {
            using (Autograd.NoGrad())
            {
                foreach (var (inputs, labels) in batches)
                {
                    correct += CountCorrect(model.Call(inputs), labels);
                    total += labels.Size(0);
                }
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        return total == 0 ? double.NaN : (double)correct / total;
    }

    /// <summary>How many rows of <paramref name="scores"/> have their arg-max at the label.</summary>
    /// <param name="scores">Class scores <c>[N, classes]</c>.</param>
    /// <param name="labels">Class indices <c>[N]</c>.</param>
    public static long CountCorrect(Tensor scores, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        using (Autograd.NoGrad())
        {
            return (long)scores.ArgMax(1).Eq(labels).Sum().Item();
        }
    }
}
