namespace Nabla.Tests.Fixtures;

/// <summary>Arange, Linspace, Eye and Full against PyTorch: exact values, dtypes and lengths.</summary>
public sealed class CreationFixtureTests
{
    const string Family = "creation";

    public static TheoryData<string> Cases => FixtureLoader.Names(Family);

    [Theory, MemberData(nameof(Cases))]
    public void Matches_pytorch(string name)
    {
        var run = new FixtureRun(FixtureLoader.Case(Family, name));
        run.Check(NablaBridge.Create(run.Case));
    }
}
