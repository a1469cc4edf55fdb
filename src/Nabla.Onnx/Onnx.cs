namespace Nabla.Onnx;

/// <summary>
/// ONNX models in and out of Nabla (<c>torch.onnx</c>'s role). <see cref="Load(string)"/> imports a <c>.onnx</c> file as
/// an <see cref="OnnxModule"/> that runs with Nabla's differentiable ops.
/// </summary>
public static class Onnx
{
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
