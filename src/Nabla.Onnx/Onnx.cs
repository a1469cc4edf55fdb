using Nabla.NN;

namespace Nabla.Onnx;

/// <summary>
/// ONNX models in and out of Nabla (<c>torch.onnx</c>'s role). <see cref="Load(string)"/> imports a <c>.onnx</c> file as
/// an <see cref="OnnxModule"/> that runs with Nabla's differentiable ops; <see cref="Export"/> traces a module
/// (<see cref="Jit.Jit.Trace(Module{Tensor, Tensor}, Tensor)"/>) and writes its graph as an ONNX model.
/// </summary>
public static class Onnx
{
    /// <summary>
    /// Traces <paramref name="module"/> in evaluation mode on <paramref name="exampleInput"/> (batch dimension 0, which stays
    /// symbolic: the file runs at any batch size) and writes the graph to <paramref name="path"/> as an ONNX model
    /// (<c>torch.onnx.export</c>): parameters and buffers are initializers named by their state-dict keys, nodes are
    /// named by the module path that ran them, the graph's input is <c>input</c>. The module's mode is restored after.
    /// </summary>
    /// <param name="module">The model to export.</param>
    /// <param name="exampleInput">An input of the shape and dtype the model takes; its batch size does not matter.</param>
    /// <param name="path">The <c>.onnx</c> file to write (through a temporary file, so a failed export leaves none).</param>
    /// <param name="opset">The ONNX operator set: 17, the one Nabla writes.</param>
    /// <returns>The traced graph that was written.</returns>
    /// <exception cref="NotSupportedException">An op of the model has no ONNX equivalent; the message names it and its module.</exception>
    /// <exception cref="Jit.TracingException">The forward is not one static graph (see <see cref="Jit.Jit.Trace(Module{Tensor, Tensor}, Tensor)"/>).</exception>
    public static Jit.Graph Export(Module<Tensor, Tensor> module, Tensor exampleInput, string path, int opset = 17)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(exampleInput);
        if (opset != OnnxExporter.Opset)
            throw new ArgumentOutOfRangeException(nameof(opset), opset, $"Onnx.Export: opset {opset} is not supported; Nabla writes opset {OnnxExporter.Opset}.");
        bool training = module.Training;
        module.Eval();
        Jit.Graph graph;
        try { graph = Jit.Jit.Trace(module, exampleInput); }
        finally { module.Train(training); }
        OnnxFile.Write(OnnxExporter.Export(graph, module.GetType().Name), path);
        return graph;
    }

    /// <summary>
    /// Imports the ONNX model in <paramref name="path"/> as a module whose parameters are the model's initializers.
    /// A truncated or corrupted file, or a model with an operator Nabla does not support, fails here with an
    /// <see cref="InvalidDataException"/> (naming the operator and node for the latter). A node that cannot run on the
    /// inputs of a call fails with an <see cref="InvalidOperationException"/> naming the node.
    /// </summary>
    public static OnnxModule Load(string path) => new(OnnxFile.Read(path), path);

    /// <summary>Imports an ONNX model read from <paramref name="stream"/>; <paramref name="name"/> names it in errors.</summary>
    public static OnnxModule Load(Stream stream, string name) => new(OnnxFile.Read(stream, name), name);

    /// <summary>The ONNX operators (default domain) that <see cref="Load(string)"/> can import, sorted by name.</summary>
    public static IReadOnlyList<string> SupportedOperators => OnnxOperators.Supported;
}
