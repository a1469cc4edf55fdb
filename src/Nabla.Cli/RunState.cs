using Nabla.Training;

namespace Nabla.Cli;

/// <summary>Where a training run stands: what a checkpoint stores besides the weights and the optimizer.</summary>
public sealed class RunState
{
    /// <summary>The model's name.</summary>
    public required string Model { get; init; }

    /// <summary>The optimizer's name.</summary>
    public required string Optimizer { get; init; }

    /// <summary>Samples per batch.</summary>
    public required int BatchSize { get; init; }

    /// <summary>The seed the run started from.</summary>
    public required long Seed { get; init; }

    /// <summary>The <c>--data</c> option of the run (null: searched), so that a resumed run reads the same images.</summary>
    public string? Data { get; init; }

    /// <summary>The <c>--limit</c> option of the run (0: all images).</summary>
    public int Limit { get; init; }

    /// <summary>The width multiplier the model was built with (null: a model without one).</summary>
    public double? Width { get; init; }

    /// <summary>Side of the square images the model takes (0 in checkpoints from before the option: 28).</summary>
    public int InputSize { get; init; }

    /// <summary>Whether the training batches are augmented.</summary>
    public bool Augment { get; init; }

    /// <summary>The Fashion-MNIST classes of the run, relabelled 0 … k − 1 in this order (null: all ten).</summary>
    public IReadOnlyList<int>? Classes { get; init; }

    /// <summary>Whether the model has GoogLeNet's auxiliary classifiers (trained with their loss).</summary>
    public bool Aux { get; init; }

    /// <summary>The checkpoint directory the run was fine-tuned from (null: trained from scratch).</summary>
    public string? FineTunedFrom { get; init; }

    /// <summary>The last frozen top-level module of a fine-tuning run (null: none frozen).</summary>
    public string? FreezeUntil { get; init; }

    /// <summary>Learning rate of the unfrozen pretrained layers of a fine-tuning run (null: the head's).</summary>
    public double? LrBackbone { get; init; }

    /// <summary>The learning-rate schedule (null: constant), see <see cref="TrainSettings.LrSchedule"/>.</summary>
    public string? LrSchedule { get; init; }

    /// <summary>The schedule's state dict (PyTorch's keys: base_lrs, last_epoch, T_max, …); empty without a schedule.</summary>
    public Dictionary<string, string> SchedulerState { get; set; } = [];

    /// <summary>Number of outputs of the model.</summary>
    public int NumClasses => Classes?.Count ?? 10;

    /// <summary>Epochs finished.</summary>
    public int CompletedEpochs { get; set; }

    /// <summary>Running sums of the epoch in progress (none when the run stopped between epochs).</summary>
    public EpochTotals Partial { get; set; } = new();

    /// <summary>State of the loader's shuffling generator when the epoch in progress started.</summary>
    public byte[] LoaderState { get; set; } = [];

    /// <summary>State of the augmentation's generator when the epoch in progress started (empty without <c>--augment</c>).</summary>
    public byte[] AugmentState { get; set; } = [];

    /// <summary>State of <see cref="Generator.Default"/> (dropout masks) when the state was taken.</summary>
    public byte[] DefaultGeneratorState { get; set; } = [];

    /// <summary>Summaries of the finished epochs.</summary>
    public List<EpochMetrics> History { get; } = [];
}
