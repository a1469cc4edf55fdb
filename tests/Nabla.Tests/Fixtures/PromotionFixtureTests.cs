namespace Nabla.Tests.Fixtures;

/// <summary>
/// PyTorch's type promotion: the result dtype (and values) of add, sub, mul, div, maximum and eq for
/// every pair of Nabla's dtypes, with Python int/float/bool scalars, and with 0-dim tensors.
/// </summary>
public sealed class PromotionFixtureTests
{
    internal const string Family = "promotion";

    public static TheoryData<string> Cases => FixtureLoader.Names(Family);

    [Theory, MemberData(nameof(Cases))]
    public void Matches_pytorch(string name) => Run(name, device: null);

    /// <summary>Runs case <paramref name="name"/> with its inputs on <paramref name="device"/> (the default device when null).</summary>
    internal static void Run(string name, Device? device)
    {
        var run = new FixtureRun(FixtureLoader.Case(Family, name), device: device);
        run.Check(ElementwiseFixtureTests.Compute(run));
    }
}
