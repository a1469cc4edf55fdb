namespace Nabla.Training;

/// <summary>Progress within an epoch, reported after every training batch.</summary>
/// <param name="Epoch">The epoch, counted from 1.</param>
/// <param name="Batch">Batches done in this epoch, counted from 1.</param>
/// <param name="BatchCount">Batches in the whole epoch.</param>
/// <param name="Loss">Mean training loss per sample so far in this epoch.</param>
/// <param name="Accuracy">Training accuracy so far in this epoch.</param>
/// <param name="SamplesPerSecond">Training throughput so far in this epoch.</param>
public readonly record struct BatchMetrics(int Epoch, int Batch, int BatchCount, double Loss, double Accuracy, double SamplesPerSecond);
