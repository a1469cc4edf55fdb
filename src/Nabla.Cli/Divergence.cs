using Nabla.Training;

namespace Nabla.Cli;

/// <summary>
/// Watches the running loss of an epoch for the first batch whose loss is not a finite number (NaN or
/// infinity: the learning rate was too high, or the batch too small for it). From then on the weights
/// are not finite either, so the run stops there instead of training and checkpointing garbage.
/// </summary>
public sealed class Divergence
{
    /// <summary>Whether a batch's loss was not finite.</summary>
    public bool Diverged { get; private set; }

    /// <summary>The batch (1-based, within its epoch) whose loss was not finite.</summary>
    public int Batch { get; private set; }

    /// <summary>The non-finite loss seen.</summary>
    public double Loss { get; private set; }

    /// <summary>Checks the epoch's totals after a batch; true once the loss has diverged.</summary>
    public bool Check(EpochTotals totals)
    {
        ArgumentNullException.ThrowIfNull(totals);
        if (!Diverged && !double.IsFinite(totals.LossSum))
        {
            Diverged = true;
            Batch = totals.Batches;
            Loss = totals.LossSum;
        }
        return Diverged;
    }

    /// <summary>The one line that says where the run diverged and what is left on disk.</summary>
    /// <param name="epoch">The epoch it diverged in.</param>
    /// <param name="batches">Batches per epoch.</param>
    /// <param name="checkpoint">The checkpoint file left from before, or null when there is none.</param>
    public string Describe(int epoch, int batches, string? checkpoint) =>
        $"training diverged in epoch {epoch}, batch {Batch} of {batches}: the loss is {(double.IsNaN(Loss) ? "NaN" : "infinite")}; try a lower --lr. " +
        (checkpoint is null ? "No checkpoint was written." : $"{checkpoint} is left as it was, the last good state.");
}
