using Nabla.Tests.TestSupport;
using Xunit.Abstractions;

namespace Nabla.Tests.Onnx;

/// <summary>ONNX's own per-operator backend cases (Debian libonnx-testdata) run through Nabla's ONNX import.</summary>
public class OnnxConformanceTests(ITestOutputHelper output)
{
    /// <summary>Cases of supported operators that Nabla cannot pass, and why. Every other loadable case must pass.</summary>
    static readonly Dictionary<string, string> KnownLimitations = new()
    {
        ["test_averagepool_3d_default"] = "3-D pooling: Nabla has 1-D and 2-D pooling only",
        ["test_maxpool_3d_default"] = "3-D pooling: Nabla has 1-D and 2-D pooling only",
        ["test_convtranspose_3d"] = "3-D transposed convolution: Nabla has 1-D and 2-D convolutions only",
        ["test_training_dropout"] = "training-mode Dropout draws a random mask that another runtime cannot reproduce",
        ["test_training_dropout_default"] = "training-mode Dropout draws a random mask that another runtime cannot reproduce",
        ["test_training_dropout_default_mask"] = "training-mode Dropout draws a random mask that another runtime cannot reproduce",
        ["test_training_dropout_mask"] = "training-mode Dropout draws a random mask that another runtime cannot reproduce",
    };

    /// <summary>Cases passing when this test was written: fewer means a regression.</summary>
    const int PassingAtLeast = 645;

    [OnnxTestDataFact]
    public void Every_case_of_a_supported_operator_passes()
    {
        var cases = Directory.GetDirectories(OnnxTestData.Directory, "test_*").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        var passed = new List<string>();
        var failed = new List<string>();
        var unsupported = new List<string>();
        foreach (var name in cases)
        {
            var (verdict, detail) = OnnxTestData.Run(name!);
            if (verdict == OnnxTestData.Verdict.Passed) passed.Add(name!);
            else if (verdict == OnnxTestData.Verdict.Failed && !KnownLimitations.ContainsKey(name!)) failed.Add($"{name}: {detail}");
            else if (verdict == OnnxTestData.Verdict.Failed) output.WriteLine($"KNOWN LIMITATION {name}: {KnownLimitations[name!]}");
            else unsupported.Add($"{name}: {detail}");
        }
        output.WriteLine($"libonnx-testdata: {passed.Count} passed, {failed.Count} failed, {unsupported.Count} not loadable (unsupported operators or types) of {cases.Length} cases");
        foreach (var line in failed) output.WriteLine("FAILED " + line);
        foreach (var line in unsupported) output.WriteLine("UNSUPPORTED " + line[..Math.Min(line.Length, 200)]);
        Assert.True(failed.Count == 0, $"{failed.Count} cases failed:\n{string.Join("\n", failed)}");
        Assert.True(passed.Count >= PassingAtLeast, $"only {passed.Count} cases passed, {PassingAtLeast} did before");
    }

    /// <summary>Runs where Debian's libonnx-testdata is installed (CI installs it); skipped elsewhere with the reason.</summary>
    sealed class OnnxTestDataFactAttribute : FactAttribute
    {
        public OnnxTestDataFactAttribute()
        {
            if (!OnnxTestData.Installed) Skip = OnnxTestData.SkipReason;
        }
    }
}
