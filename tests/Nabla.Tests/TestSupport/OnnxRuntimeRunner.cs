using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Nabla.Tests.TestSupport;

/// <summary>
/// Runs an .onnx file in ONNX Runtime (NuGet Microsoft.ML.OnnxRuntime, CPU), the reference the ONNX import and
/// export tests compare Nabla with: Nabla tensors in, Nabla tensors out.
/// </summary>
internal static class OnnxRuntimeRunner
{
    /// <summary>The model's outputs, in the order of its graph outputs, for <paramref name="inputs"/> in the order of its graph inputs.</summary>
    public static Tensor[] Run(string modelPath, params Tensor[] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(modelPath, options);
        var names = session.InputNames;
        Assert.True(names.Count == inputs.Length, $"{modelPath} takes {names.Count} inputs, got {inputs.Length}");
        var feeds = inputs.Select((t, i) => ToOnnx(names[i], t)).ToList();
        using var results = session.Run(feeds);
        return results.Select(FromOnnx).ToArray();
    }

    static NamedOnnxValue ToOnnx(string name, Tensor t)
    {
        var dims = t.Shape.ToArray();
        return t.DType switch
        {
            DType.Float32 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(t.ToArray<float>(), dims)),
            DType.Float64 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<double>(t.ToArray<double>(), dims)),
            DType.Int64 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(t.ToArray<long>(), dims)),
            DType.Int32 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<int>(t.ToArray<int>(), dims)),
            DType.UInt8 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<byte>(t.ToArray<byte>(), dims)),
            _ => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(t.ToArray<bool>(), dims)),
        };
    }

    static Tensor FromOnnx(DisposableNamedOnnxValue value) => value.Value switch
    {
        DenseTensor<float> t => Tensor.From(t.ToArray(), Dims(t.Dimensions)),
        DenseTensor<double> t => Tensor.From(t.ToArray(), Dims(t.Dimensions)),
        DenseTensor<long> t => Tensor.From(t.ToArray(), Dims(t.Dimensions)),
        DenseTensor<int> t => Tensor.From(t.ToArray(), Dims(t.Dimensions)),
        DenseTensor<bool> t => Tensor.From(t.ToArray(), Dims(t.Dimensions)),
        var other => throw new NotSupportedException($"OnnxRuntimeRunner: output '{value.Name}' is a {other?.GetType().Name}."),
    };

    static int[] Dims(ReadOnlySpan<int> dimensions) => dimensions.ToArray();
}
