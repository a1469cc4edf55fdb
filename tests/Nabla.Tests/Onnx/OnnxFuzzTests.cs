using Nabla.Onnx;
using Nabla.Tests.TestSupport;

namespace Nabla.Tests.Onnx;

/// <summary>Truncated and corrupted .onnx files: Onnx.Load either imports a model or throws one InvalidDataException, never anything else.</summary>
public class OnnxFuzzTests
{
    static void CheckConsistent(OnnxModule module)
    {
        Assert.NotNull(module.InputNames);
        Assert.All(module.Parameters(), p => Assert.True(p.NumElements >= 0));
    }

    [Fact]
    public void Truncated_and_byte_flipped_models_load_or_fail_with_InvalidDataException()
    {
        var bytes = File.ReadAllBytes(OnnxModels.Fixture("residual"));
        // Every 3rd truncation point and 400 mutants with 1 to 4 random bytes, over the whole file.
        var truncations = FuzzHarness.Truncations("residual.onnx", bytes).Where((_, i) => i % 3 == 0);
        var flips = FuzzHarness.ByteFlips("residual.onnx", bytes, 400, seed: 29);
        var outcome = FuzzHarness.Run(truncations.Concat(flips), b => Nabla.Onnx.Onnx.Load(new MemoryStream(b), "fuzz.onnx"), CheckConsistent);
        Assert.True(outcome.Rejected > 1000, $"only {outcome.Rejected} of {outcome.Cases} cases were rejected");
    }
}
