using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Nabla.Tests.Fixtures;

// The PyTorch golden fixtures (tests/fixtures/*.json, written by make_fixtures.py; the format is in
// tests/fixtures/README.md): reading them, building Nabla tensors from them, running a case's
// gradients and comparing with tolerances. The op-to-Nabla mapping lives in one switch per family
// (ElementwiseFixtureTests, ReductionFixtureTests, ...).

/// <summary>Reads fixture files (once per family) and hands out their cases.</summary>
public static class FixtureLoader
{
    static readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, FixtureCase>> Families = new();

    /// <summary>The case names of a family, for <c>[MemberData]</c>.</summary>
    public static TheoryData<string> Names(string family)
    {
        var data = new TheoryData<string>();
        foreach (var name in Load(family).Keys) data.Add(name);
        return data;
    }

    /// <summary>All cases of a family, in file order.</summary>
    public static IEnumerable<FixtureCase> All(string family) => Load(family).Values;

    /// <summary>One case of a family by name.</summary>
    public static FixtureCase Case(string family, string name) => Load(family)[name];

    static IReadOnlyDictionary<string, FixtureCase> Load(string family) => Families.GetOrAdd(family, f =>
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", f + ".json");
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var cases = new Dictionary<string, FixtureCase>();
        foreach (var element in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            var c = new FixtureCase(element.Clone());
            cases.Add(c.Name, c);
        }
        return cases;
    });
}
