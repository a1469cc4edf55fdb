namespace Nabla.Distributed;

/// <summary>How a collective combines the ranks' tensors, element by element (<c>torch.distributed.ReduceOp</c>).</summary>
public enum ReduceOp
{
    /// <summary>The sum over ranks.</summary>
    Sum,

    /// <summary>The mean over ranks (the sum divided by <see cref="Distributed.WorldSize"/>); floating-point tensors only.</summary>
    Avg,

    /// <summary>The largest value over ranks.</summary>
    Max,

    /// <summary>The smallest value over ranks.</summary>
    Min,
}
