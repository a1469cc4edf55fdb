// The schedulers live in namespace Nabla.Optim; see LRScheduler.cs.
namespace Nabla.Optim;

/// <summary>
/// Sets each group's learning rate to its initial rate times a function of the epoch
/// (<c>torch.optim.lr_scheduler.LambdaLR</c>): ηₜ = η₀ · f(t). The functions are not part of the
/// state dict; give the same ones to the scheduler you load into.
/// </summary>
public sealed class LambdaLR : LRScheduler
{
    readonly Func<int, double>[] lambdas;

    /// <summary>One factor function <paramref name="lrLambda"/> for all groups.</summary>
    /// <param name="optimizer">The optimizer whose rates are scheduled.</param>
    /// <param name="lrLambda">The factor f(t) for epoch t.</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; −1 to start.</param>
    public LambdaLR(Optimizer optimizer, Func<int, double> lrLambda, int lastEpoch = -1)
        : this(optimizer, [.. Enumerable.Repeat(lrLambda, optimizer.ParamGroups.Count)], lastEpoch) { }

    /// <summary>One factor function per parameter group.</summary>
    public LambdaLR(Optimizer optimizer, IReadOnlyList<Func<int, double>> lrLambdas, int lastEpoch = -1) : base(optimizer)
    {
        if (lrLambdas.Count != optimizer.ParamGroups.Count)
            throw new ArgumentException($"LambdaLR: expected {optimizer.ParamGroups.Count} lrLambdas (one per group), got {lrLambdas.Count}.", nameof(lrLambdas));
        lambdas = [.. lrLambdas];
        Initialize(lastEpoch);
    }

    /// <inheritdoc/>
    protected override double[] GetLr() => [.. BaseLrs.Select((b, i) => b * lambdas[i](LastEpoch))];
}
