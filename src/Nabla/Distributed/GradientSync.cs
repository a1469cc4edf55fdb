namespace Nabla.Distributed;

/// <summary>How <see cref="DistributedDataParallel"/> combines the ranks' gradients into one update.</summary>
public enum GradientSync
{
    /// <summary>
    /// Every rank receives the average gradient (ring all-reduce) and applies the same optimizer step to
    /// its own copy of the parameters: no rank is special, and no traffic goes through one link.
    /// </summary>
    AllReduce,

    /// <summary>
    /// Synchronous parameter server: the gradients are summed onto rank 0 (the server), which alone
    /// applies the optimizer with the average; the workers pull the server's parameters at the start of
    /// their next training forward (or with <see cref="DistributedDataParallel.SyncParameters"/>). The
    /// workers' own optimizer steps are overwritten by the pull; the server's optimizer state is the
    /// one to checkpoint. Every byte goes through the server's link: 2·(N − 1)·P bytes per step, against
    /// 2·(N − 1)/N·P per rank for the all-reduce.
    /// </summary>
    ParameterServer,

    /// <summary>
    /// Asynchronous parameter server with bounded staleness (stale synchronous parallel): each rank pushes its
    /// gradient at the end of backward and gets back the server's parameters after that one update, without
    /// waiting for the others; rank 0's server thread applies every push with its own optimizer (the
    /// <c>serverOptimizer</c> of <see cref="DistributedDataParallel"/>). A rank more than <c>staleness</c>
    /// steps ahead of the slowest waits. N ranks make N updates per step of each, from gradients up to
    /// (2·staleness + 1)·(N − 1) updates old.
    /// </summary>
    AsyncParameterServer,
}
