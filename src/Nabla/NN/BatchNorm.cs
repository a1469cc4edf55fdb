namespace Nabla.NN;

/// <summary>
/// Shared body of <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> (PyTorch's <c>_BatchNorm</c>):
/// per-channel normalisation by the batch statistics in training and by running statistics in
/// evaluation, then an optional learned scale γ and shift β.
/// </summary>
public abstract class BatchNorm : Module<Tensor, Tensor>
{
    /// <summary>C, the number of channels (dim 1 of the input).</summary>
    public int NumFeatures { get; }

    /// <summary>ε added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Weight of the new batch in the running average; null for a cumulative average (1/batches seen).</summary>
    public double? Momentum { get; }

    /// <summary>Whether γ and β are learned.</summary>
    public bool Affine { get; }

    /// <summary>Whether running statistics are kept; without them evaluation also uses batch statistics.</summary>
    public bool TrackRunningStats { get; }

    /// <summary>γ [C], initialised to 1; null without <see cref="Affine"/>.</summary>
    public Parameter? Weight { get; private set; }

    /// <summary>β [C], initialised to 0; null without <see cref="Affine"/>.</summary>
    public Parameter? Bias { get; private set; }

    /// <summary>Running mean [C] (buffer <c>running_mean</c>); null without <see cref="TrackRunningStats"/>.</summary>
    [Buffer] public Tensor? RunningMean { get; private set; }

    /// <summary>Running unbiased variance [C] (buffer <c>running_var</c>); null without <see cref="TrackRunningStats"/>.</summary>
    [Buffer] public Tensor? RunningVar { get; private set; }

    /// <summary>Number of training batches seen, Int64 scalar (buffer <c>num_batches_tracked</c>).</summary>
    [Buffer] public Tensor? NumBatchesTracked { get; private set; }

    /// <summary>Creates the layer's parameters and buffers.</summary>
    protected BatchNorm(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType dtype)
    {
        if (numFeatures <= 0) throw new ArgumentException($"{TypeName}: numFeatures must be positive, got {numFeatures}.", nameof(numFeatures));
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        if (affine)
        {
            Weight = new Parameter(Tensor.Empty([numFeatures], dtype));
            Bias = new Parameter(Tensor.Empty([numFeatures], dtype));
        }
        if (trackRunningStats)
        {
            RunningMean = Tensor.Zeros([numFeatures], dtype);
            RunningVar = Tensor.Ones([numFeatures], dtype);
            NumBatchesTracked = Tensor.Zeros([], DType.Int64);
        }
        ResetParameters();
    }

    /// <summary>Running mean 0, running variance 1, batch count 0.</summary>
    public void ResetRunningStats()
    {
        if (RunningMean is null || RunningVar is null || NumBatchesTracked is null) return;
        Init.Zeros_(RunningMean);
        Init.Ones_(RunningVar);
        NumBatchesTracked.Zero_();
    }

    /// <summary>PyTorch's default: running statistics reset, γ = 1, β = 0.</summary>
    public void ResetParameters()
    {
        ResetRunningStats();
        if (Weight != null) Init.Ones_(Weight);
        if (Bias != null) Init.Zeros_(Bias);
    }

    /// <summary>Throws when the input's rank is wrong for this layer.</summary>
    protected abstract void CheckInputDim(Tensor input);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        CheckInputDim(input);
        double factor = Momentum ?? 0.0;
        if (Training && TrackRunningStats && NumBatchesTracked != null)
        {
            using (Autograd.NoGrad()) NumBatchesTracked.Copy_(NumBatchesTracked + 1L);
            // Cumulative moving average when momentum is null: the n-th batch has weight 1/n.
            factor = Momentum ?? 1.0 / NumBatchesTracked.Item<long>();
        }
        bool useBatchStats = Training || (RunningMean is null && RunningVar is null);
        bool updateRunning = !Training || TrackRunningStats;
        return Functional.BatchNorm(input, updateRunning ? RunningMean : null, updateRunning ? RunningVar : null,
            Weight, Bias, useBatchStats, factor, Eps);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumFeatures}, eps={FormatFloat(Eps)}, momentum={(Momentum is double m ? FormatFloat(m) : "None")}, affine={FormatBool(Affine)}, track_running_stats={FormatBool(TrackRunningStats)}";
}
