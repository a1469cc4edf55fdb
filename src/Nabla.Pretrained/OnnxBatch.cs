using Google.Protobuf;
using Nabla.Onnx.Protobuf;

namespace Nabla.Pretrained;

/// <summary>
/// The packages' ONNX graphs declare a batch of exactly 1 (<c>[1, 3, 224, 224]</c>); OnnxRuntime
/// rejects other batch sizes, so the comparisons and the benchmark give it a copy whose first
/// dimension of every input and output is the symbolic <c>N</c> (the operators are batch-agnostic).
/// </summary>
internal static class OnnxBatch
{
    /// <summary>The serialized model of <paramref name="path"/> with a symbolic batch dimension.</summary>
    public static byte[] WithDynamicBatch(string path)
    {
        var model = Nabla.Onnx.OnnxFile.Read(path);
        foreach (var value in model.Graph.Input.Concat(model.Graph.Output))
        {
            var shape = value.Type?.TensorType?.Shape;
            if (shape is null || shape.Dim.Count == 0) continue;
            shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "N" };
        }
        model.Graph.ValueInfo.Clear();   // intermediate shapes were inferred for batch 1
        return model.ToByteArray();
    }
}
