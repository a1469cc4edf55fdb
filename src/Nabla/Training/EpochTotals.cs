namespace Nabla.Training;

/// <summary>
/// Running sums of one training epoch: what a checkpoint taken in the middle of an epoch must
/// keep so that the resumed epoch reports the same loss and accuracy as an uninterrupted one.
/// </summary>
public sealed class EpochTotals
{
    /// <summary>Batches trained so far in this epoch.</summary>
    public int Batches { get; set; }

    /// <summary>Samples trained so far in this epoch.</summary>
    public long Samples { get; set; }

    /// <summary>Σ over batches of (mean batch loss × batch size).</summary>
    public double LossSum { get; set; }

    /// <summary>Training samples whose arg-max prediction was the label.</summary>
    public long Correct { get; set; }

    /// <summary>Wall-clock seconds spent training this epoch, waiting for batches included (evaluation excluded).</summary>
    public double Seconds { get; set; }

    /// <summary>Mean loss per sample so far (NaN before the first batch).</summary>
    public double Loss => Samples == 0 ? double.NaN : LossSum / Samples;

    /// <summary>Training accuracy so far (NaN before the first batch).</summary>
    public double Accuracy => Samples == 0 ? double.NaN : (double)Correct / Samples;

    /// <summary>Training throughput so far.</summary>
    public double SamplesPerSecond => Seconds > 0 ? Samples / Seconds : 0;
}
