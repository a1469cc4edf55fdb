using Nabla.Serialization;
using Nabla.Tests.Serialization;
using Nabla.Tests.TestSupport;

namespace Nabla.Tests.Cli;

/// <summary><c>nabla import model.pt --out model.safetensors</c>: torch.save checkpoints converted without running their code.</summary>
public sealed class ImportCliTests() : CliTestBase("nabla-import")
{
    [Theory]
    [InlineData("gru.pt")]
    [InlineData("lenet_f16.pt")]
    [InlineData("mlp_legacy.pt")]
    [InlineData("views.pt")]
    public void Import_writes_the_checkpoints_tensors_as_safetensors(string file)
    {
        Directory.CreateDirectory(directory);
        string output = Path.Combine(directory, "model.safetensors");
        var result = Run("import", PyTorchCheckpointTests.FixturePath(file), "--out", output);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("tensors", result.Stdout);

        var expected = StateDict.LoadPyTorch(PyTorchCheckpointTests.FixturePath(file));
        var written = StateDict.Load(output, out var metadata);
        Assert.Equal("pt", metadata["format"]);
        Assert.Equal(file, metadata["source"]);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), written.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in expected)
        {
            Assert.Equal(tensor.DType, written[name].DType);
            Assert.Equal(tensor.Shape, written[name].Shape);
            Assert.Equal(tensor.ToArray<double>(), written[name].ToArray<double>());
        }
    }

    [Fact]
    public void Import_of_a_malicious_pickle_fails_in_one_line_and_writes_nothing()
    {
        string output = Path.Combine(directory, "evil.safetensors");
        var result = Run("import", PyTorchCheckpointTests.FixturePath("malicious_os_system.pt"), "--out", output);
        Assert.Equal(1, result.ExitCode);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("nabla: ", line);
        Assert.Contains("'posix.system'", line);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Import_refuses_to_replace_a_file_without_overwrite()
    {
        Directory.CreateDirectory(directory);
        string output = Path.Combine(directory, "taken.safetensors");
        File.WriteAllText(output, "keep me");
        var result = Run("import", PyTorchCheckpointTests.FixturePath("gru.pt"), "--out", output);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--overwrite", result.Stderr);
        Assert.Equal("keep me", File.ReadAllText(output));

        result = Run("import", PyTorchCheckpointTests.FixturePath("gru.pt"), "--out", output, "--overwrite");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(8, StateDict.Load(output).Count); // a 2-layer GRU's weights and biases
    }
}
