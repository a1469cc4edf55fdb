namespace Nabla.Tests.Backends;

/// <summary>
/// Test classes that keep the shared <c>WorkerPool</c> busy for seconds (convolution, pooling) run in
/// this collection: after the parallel ones, one at a time. Otherwise they hold the pool while
/// <c>WorkerPoolTests</c> asserts that <c>TryRun</c> gets every thread at once, which it rightly refuses
/// while another region is in progress.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExclusiveWorkerPoolCollection
{
    /// <summary>The collection's name, for <c>[Collection(ExclusiveWorkerPoolCollection.Name)]</c>.</summary>
    public const string Name = "Exclusive worker pool";
}
