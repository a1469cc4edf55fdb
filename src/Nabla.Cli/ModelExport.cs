using Nabla.Jit;
using Nabla.NN;

namespace Nabla.Cli;

/// <summary><c>nabla export MODEL --checkpoint DIR model.onnx</c>: a trained model written as an ONNX file (opset 17).</summary>
public static class ModelExport
{
    /// <summary>
    /// Loads <paramref name="modelName"/> from <paramref name="checkpointDirectory"/>, traces it on a batch of the images it
    /// was trained on (the batch stays symbolic in the file) and writes <paramref name="outputPath"/>; prints a summary line.
    /// An op with no ONNX equivalent, or a forward that does not trace, is reported on <paramref name="stderr"/> (exit code 1).
    /// </summary>
    public static int Run(string modelName, string checkpointDirectory, string outputPath, TextWriter stdout, TextWriter stderr)
    {
        Module<Tensor, Tensor> model = Inference.LoadModel(modelName, checkpointDirectory, out RunState state);
        var example = Tensor.Zeros(ModelCatalog.Get(modelName).InputShape(batch: 2, size: state.InputSize));
        Graph graph;
        try
        {
            graph = Onnx.Onnx.Export(model, example, outputPath);
        }
        catch (Exception exception) when (exception is NotSupportedException or TracingException)
        {
            stderr.WriteLine($"nabla: {exception.Message}");
            return 1;
        }
        long parameters = graph.Parameters.Sum(p => p.Data!.NumElements);
        stdout.WriteLine(FormattableString.Invariant(
            $"{modelName}: wrote {outputPath} (ONNX opset 17, {graph.Nodes.Count} ops, {parameters:N0} parameter and buffer values, input [batch, 1, {state.InputSize}, {state.InputSize}])"));
        return 0;
    }
}
