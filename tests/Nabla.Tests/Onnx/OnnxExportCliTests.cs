using Nabla.Tests.TestSupport;

namespace Nabla.Tests.Onnx;

/// <summary><c>nabla export</c>: a trained checkpoint written as ONNX that ONNX Runtime runs like Nabla.</summary>
public class OnnxExportCliTests() : CliTestBase("nabla-export")
{
    [Fact]
    public void Export_writes_a_checkpoint_that_OnnxRuntime_runs_like_Nabla()
    {
        Assert.Equal(0, Run("train", "lenet", "--data", "sample", "--limit", "256", "--epochs", "1", "--checkpoint", directory).ExitCode);
        string onnx = Path.Combine(directory, "lenet.onnx");

        var (exitCode, stdout, stderr) = Run("export", "lenet", "--checkpoint", directory, onnx);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("wrote", stdout);
        Assert.Contains("opset 17", stdout);
        var model = Nabla.Cli.Inference.LoadModel("lenet", directory);
        var images = Tensor.Rand([5, 1, 28, 28], generator: new Generator(4));
        Tensor expected;
        using (Autograd.NoGrad()) expected = model.Call(images);
        Assert.True(OnnxRuntimeRunner.Run(onnx, images)[0].AllClose(expected, 1e-4, 1e-5));
    }

    [Fact]
    public void Export_of_a_missing_checkpoint_is_a_one_line_error()
    {
        var (exitCode, _, stderr) = Run("export", "lenet", "--checkpoint", directory, Path.Combine(directory, "x.onnx"));
        Assert.NotEqual(0, exitCode);
        Assert.StartsWith("nabla: ", stderr);
    }
}
