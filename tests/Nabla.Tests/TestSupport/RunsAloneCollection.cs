namespace Nabla.Tests.TestSupport;

/// <summary>
/// Tests that measure process-wide state (the managed heap): xunit runs this collection on its
/// own, after the parallel ones, so no other test's allocations show up in the measurement.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAloneCollection
{
    public const string Name = "Runs alone";
}
