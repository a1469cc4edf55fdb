namespace Nabla.Cli;

/// <summary>The options of <c>nabla train</c>; null means "the model's default" (or the checkpoint's, when resuming).</summary>
public sealed record TrainSettings
{
    /// <summary>The model's name (see <see cref="ModelCatalog"/>).</summary>
    public required string Model { get; init; }

    /// <summary>Total epochs to reach (a resumed run continues up to this count).</summary>
    public int? Epochs { get; init; }

    /// <summary>Samples per batch.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Learning rate.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Optimizer name (see <see cref="OptimizerFactory.Names"/>).</summary>
    public string? Optimizer { get; init; }

    /// <summary>Fashion-MNIST directory, <c>sample</c>, or null to search.</summary>
    public string? Data { get; init; }

    /// <summary>Seed of the initial weights, the shuffling and dropout.</summary>
    public long? Seed { get; init; }

    /// <summary>Directory for checkpoints (written after every epoch) and the plot; null: no checkpoints, plot in runs/MODEL.</summary>
    public string? Checkpoint { get; init; }

    /// <summary>Continue from the checkpoint in <see cref="Checkpoint"/>.</summary>
    public bool Resume { get; init; }

    /// <summary>Start afresh in <c>Checkpoint</c> even though it holds a checkpoint, replacing it (without this, that is refused).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Print one JSON line with the results on stdout; everything else goes to stderr.</summary>
    public bool Json { get; init; }

    /// <summary>Use only the first this many training and test images (0: all); for quick trials and tests.</summary>
    public int Limit { get; init; }

    /// <summary>Width multiplier of the zoo's CNNs (null: the model's default); an error for models without one.</summary>
    public double? Width { get; init; }

    /// <summary>Side of the square images the model is trained on (null: the model's default, e.g. 224 for AlexNet).</summary>
    public int? Resize { get; init; }

    /// <summary>Augment the training batches: random crop with padding 4 and random horizontal flip, seeded from <see cref="Seed"/>.</summary>
    public bool Augment { get; init; }

    /// <summary>Train on these Fashion-MNIST classes only, relabelled 0 … k − 1 in this order (null: all ten).</summary>
    public IReadOnlyList<int>? Classes { get; init; }

    /// <summary>Directory of a checkpoint of the same model to fine-tune from (null: train from scratch).</summary>
    public string? FineTune { get; init; }

    /// <summary>Start from published pre-trained weights instead (<c>--pretrained imagenet</c> for resnet18): a fresh head, the backbone at <see cref="LrBackbone"/> (default a tenth of the head's rate).</summary>
    public string? Pretrained { get; init; }

    /// <summary>With <see cref="FineTune"/>: freeze the top-level modules up to and including this one.</summary>
    public string? FreezeUntil { get; init; }

    /// <summary>With <see cref="FineTune"/>: learning rate of the pretrained layers that are not frozen (null: the head's).</summary>
    public double? LrBackbone { get; init; }

    /// <summary>
    /// Learning-rate schedule over the epochs: null for a constant rate, "cosine" for cosine annealing from the
    /// rate to 0 over the run's epochs (PyTorch's <c>CosineAnnealingLR</c> with <c>T_max</c> = epochs, stepped per epoch).
    /// </summary>
    public string? LrSchedule { get; init; }

    /// <summary>GoogLeNet's auxiliary classifiers: loss = main + 0.3 × each auxiliary loss.</summary>
    public bool Aux { get; init; }

    /// <summary>Train through the model's compiled training graph (<see cref="Nabla.Jit.Jit.CompileForTraining"/>) instead of its eager forward.</summary>
    public bool Compile { get; init; }

    /// <summary>Train data-parallel over the processes of an MPI job (<c>mpirun -np N ./nabla train … --distributed</c>); see <see cref="DistributedTraining"/>.</summary>
    public bool Distributed { get; init; }

    /// <summary>With <see cref="Distributed"/>: "allreduce" (null: the default), "ps" or "async", see <see cref="DistributedTraining.SyncModes"/>.</summary>
    public string? Sync { get; init; }

    /// <summary>With <c>--sync async</c>: how many steps a process may run ahead of the slowest (null: <see cref="DistributedTraining.DefaultStaleness"/>).</summary>
    public int? Staleness { get; init; }

    /// <summary>With <see cref="Distributed"/>: share each global batch among the processes in proportion to their measured speed.</summary>
    public bool SplitBySpeed { get; init; }

    /// <summary>Stop after this many batches of the run, as if Ctrl-C had been pressed (0: never); for tests.</summary>
    public int StopAfterBatches { get; init; }
}
