namespace Nabla.Tests.TestSupport;

/// <summary>
/// Tests that seed or draw from <see cref="Generator.Default"/> and compare results: xunit runs
/// this collection on its own, after the parallel ones, so no other test moves the generator
/// between a test's <c>ManualSeed</c> and its draws.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DefaultGeneratorCollection
{
    public const string Name = "Default generator";
}
