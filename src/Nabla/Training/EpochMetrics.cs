namespace Nabla.Training;

/// <summary>The summary of one finished epoch, as the course's training loop prints and plots it.</summary>
/// <param name="Epoch">The epoch, counted from 1.</param>
/// <param name="TrainLoss">Mean training loss per sample over the epoch (the model changing as it goes).</param>
/// <param name="TrainAccuracy">Training accuracy over the epoch.</param>
/// <param name="TestAccuracy">Accuracy on the test set after the epoch, in evaluation mode.</param>
/// <param name="Seconds">Seconds spent training (evaluation excluded).</param>
/// <param name="SamplesPerSecond">Training throughput.</param>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double TestAccuracy, double Seconds, double SamplesPerSecond);
