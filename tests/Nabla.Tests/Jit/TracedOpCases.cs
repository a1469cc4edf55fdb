using Nabla.Jit;
using Nabla.NN;

namespace Nabla.Tests.Jit;

/// <summary>
/// Small forwards that each exercise one op whose trace hook is tested (convolutions, pools, upsampling, indexing, comparisons,
/// reductions, embedding padding): the Jit tests compile them against eager mode, the ONNX tests run them in OnnxRuntime.
/// Every output is floating point (indices and masks are cast), so both compare values the same way.
/// </summary>
internal static class TracedOpCases
{
    /// <summary>A forward as a module, for the APIs that take one.</summary>
    internal sealed class Function(Func<Tensor, Tensor> forward) : Module<Tensor, Tensor>
    {
        /// <inheritdoc/>
        public override Tensor Forward(Tensor input) => forward(input);
    }

    static Tensor Weight(params int[] shape) => Tensor.Randn(shape, generator: new Generator(shape.Sum()));

    /// <summary>The forward of case <paramref name="name"/>, the op its graph must hold, and an input at batch size <paramref name="batch"/>.</summary>
    public static (Func<Tensor, Tensor> Forward, string Op, Tensor Input) Create(string name, int batch)
    {
        var sequence = Tensor.Randn([batch, 4, 16], generator: new Generator(100 + batch));
        var image = Tensor.Randn([batch, 4, 8, 8], generator: new Generator(200 + batch));
        Tensor conv1dWeight = Weight(5, 4, 3), conv1dBias = Weight(5), transposeWeight = Weight(4, 2, 3, 3), transposeBias = Weight(2), table = Weight(16, 5);
        Tensor positions = Tensor.From(new long[] { 2, 0, 1, 2 });
        return name switch
        {
            "conv1d" => (t => Functional.Conv1d(t, conv1dWeight, conv1dBias, stride: 2, padding: 1), GraphOps.Conv2d, sequence),
            "conv_transpose2d" => (t => Tensor.ConvTranspose2d(t, transposeWeight, transposeBias, stride: 2, padding: 1, outputPadding: 1), GraphOps.ConvTranspose2d, image),
            "max_pool1d" => (t => t.MaxPool1d(3, stride: 2, padding: 1), GraphOps.MaxPool2d, sequence),
            "avg_pool1d" => (t => t.AvgPool1d(2), GraphOps.AvgPool2d, sequence),
            "adaptive_max_pool2d" => (t => t.AdaptiveMaxPool2d((2, 4)), GraphOps.AdaptiveMaxPool2d, image),
            "upsample_nearest" => (t => Functional.Interpolate(t, scaleFactor: new Scale2d(2, 2)), GraphOps.IndexSelect, image),
            "upsample_bilinear" => (t => Functional.Interpolate(t, scaleFactor: new Scale2d(2, 2), mode: "bilinear", alignCorners: false), GraphOps.IndexSelect, image),
            "gather" => (t => t.Gather(2, t.ArgMax(2, keepDim: true)), GraphOps.Gather, sequence),
            "index_select" => (t => t.IndexSelect(1, positions), GraphOps.IndexSelect, sequence),
            "where" => (t => Tensor.Where(t.Gt(0.0), t, t * 2), GraphOps.Where, sequence),
            "masked_fill" => (t => t.MaskedFill(t.Lt(-0.5), 0.25), GraphOps.Where, sequence),
            "comparisons" => (t => t.Eq(t.Relu()).To(DType.Float32) + t.Ne(t.Relu()).To(DType.Float32) * 2 + t.Ge(0.1).To(DType.Float32) * 4 + t.Le(-0.1).To(DType.Float32) * 8,
                GraphOps.Ne, sequence),
            "max_dim" => (t => t.Max(1).Values.Unsqueeze(1) + t.Min(-1, keepDim: true).Values, GraphOps.ArgMin, sequence),
            "argmax" => (t => t.ArgMax(-1).To(DType.Float32) - t.ArgMin(1).To(DType.Float32).Sum(-1, keepDim: true), GraphOps.ArgMax, sequence),
            "var" => (t => t.Var(-1) + t.Var([1, 2], unbiased: false, keepDim: false).Unsqueeze(1), GraphOps.Sum, sequence),
            "embedding_padding_idx" => (t => Functional.Embedding(t.ArgMax(-1), table, paddingIdx: 0), GraphOps.Embedding, sequence),
            _ => throw new ArgumentException(name),
        };
    }

    /// <summary>Every case name.</summary>
    public static TheoryData<string> Names =>
    [
        "conv1d", "conv_transpose2d", "max_pool1d", "avg_pool1d", "adaptive_max_pool2d", "upsample_nearest", "upsample_bilinear", "gather",
        "index_select", "where", "masked_fill", "comparisons", "max_dim", "argmax", "var", "embedding_padding_idx",
    ];
}
