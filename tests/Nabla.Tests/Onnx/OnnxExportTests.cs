using Nabla.NN;
using Nabla.Tests.TestSupport;
using Nabla.Vision.Models;

namespace Nabla.Tests.Onnx;

/// <summary>Onnx.Export: zoo, recurrent and Transformer models written from their traced graph, run in ONNX Runtime and imported back.</summary>
[Collection(DefaultGeneratorCollection.Name)]
public class OnnxExportTests
{
    /// <summary>A recurrent layer's output sequence (batch first, so the batch is dimension 0 as tracing expects).</summary>
    sealed class Sequence<TState>(RNNBase<TState> layer, Linear head) : Module<Tensor, Tensor>
    {
        readonly RNNBase<TState> layer = layer;
        readonly Linear head = head;

        public override Tensor Forward(Tensor input) => head.Call(layer.Call(input).Output);
    }

    sealed class Encoder(TransformerEncoder encoder, Linear head) : Module<Tensor, Tensor>
    {
        readonly TransformerEncoder encoder = encoder;
        readonly Linear head = head;

        public override Tensor Forward(Tensor input) => head.Call(encoder.Call(input));
    }

    static Module<Tensor, Tensor> Create(string name) => name switch
    {
        "mlp" => Mlp.Create(hidden: 32, generator: new Generator(1)),
        "softmax-regression" => SoftmaxRegression.Create(generator: new Generator(1)),
        "lenet" => LeNet.Create(new Generator(1)),
        "lenet-bn" => LeNet.CreateBatchNorm(new Generator(1)),
        "alexnet" => new AlexNet(width: 0.0625),
        "vgg" => new VGG([8, 0, 16, 0, 16, 0], width: 1, batchNorm: true),
        "nin" => new NiN(width: 0.125),
        "googlenet" => new GoogLeNet(width: 0.125),
        "resnet" => new ResNet(false, [1, 1, 1, 1], width: 0.125),
        "resnet-bottleneck" => new ResNet(true, [1, 1, 1, 1], width: 0.125),
        "densenet" => new DenseNet(growthRate: 8, blockConfig: [2, 2], numInitFeatures: 16),
        "rnn" => new Sequence<Tensor>(new RNN(6, 8, numLayers: 2, batchFirst: true), new Linear(8, 3)),
        "rnn-relu" => new Sequence<Tensor>(new RNN(6, 8, nonlinearity: "relu", batchFirst: true), new Linear(8, 3)),
        "gru" => new Sequence<Tensor>(new GRU(6, 8, batchFirst: true, bidirectional: true), new Linear(16, 3)),
        "lstm" => new Sequence<(Tensor H, Tensor C)>(new LSTM(6, 8, numLayers: 2, batchFirst: true), new Linear(8, 3)),
        "transformer" => new Encoder(new TransformerEncoder(new TransformerEncoderLayer(16, 2, 32, dropout: 0.1, batchFirst: true), 2), new Linear(16, 3)),
        _ => throw new ArgumentException(name),
    };

    static Tensor Example(string name, int batch) => name switch
    {
        "mlp" or "softmax-regression" or "lenet" or "lenet-bn" => Tensor.Randn([batch, 1, 28, 28], generator: new Generator(batch)),
        "alexnet" => Tensor.Randn([batch, 1, 224, 224], generator: new Generator(batch)),
        "vgg" => Tensor.Randn([batch, 1, 56, 56], generator: new Generator(batch)), // three pools bring it to the 7×7 of the adaptive pool
        "nin" or "googlenet" => Tensor.Randn([batch, 1, 96, 96], generator: new Generator(batch)),
        "resnet" or "resnet-bottleneck" or "densenet" => Tensor.Randn([batch, 1, 32, 32], generator: new Generator(batch)),
        "rnn" or "rnn-relu" or "gru" or "lstm" => Tensor.Randn([batch, 5, 6], generator: new Generator(batch)),
        _ => Tensor.Randn([batch, 7, 16], generator: new Generator(batch)),
    };

    static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4 * Math.Max(1, Math.Abs(e[i])), $"{what}: element {i} is {a[i]}, Nabla eager gives {e[i]}");
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("softmax-regression")]
    [InlineData("lenet")]
    [InlineData("lenet-bn")]
    [InlineData("alexnet")]
    [InlineData("vgg")]
    [InlineData("nin")]
    [InlineData("googlenet")]
    [InlineData("resnet")]
    [InlineData("resnet-bottleneck")]
    [InlineData("densenet")]
    [InlineData("rnn")]
    [InlineData("rnn-relu")]
    [InlineData("gru")]
    [InlineData("lstm")]
    [InlineData("transformer")]
    public void Exported_model_runs_in_OnnxRuntime_and_imports_back_equal_to_Nabla(string name)
    {
        var model = Create(name);
        var path = Path.Combine(Path.GetTempPath(), $"nabla-export-{name}-{Guid.NewGuid():N}.onnx");
        try
        {
            Nabla.Onnx.Onnx.Export(model, Example(name, 2), path);
            Assert.True(model.Training, "Export restores the module's mode");
            model.Eval();
            // Another batch size than the trace's: the batch dimension is symbolic in the file.
            var input = Example(name, 3);
            Tensor expected;
            using (Autograd.NoGrad()) expected = model.Call(input);
            AssertClose(expected, OnnxRuntimeRunner.Run(path, input)[0], "OnnxRuntime");
            var imported = Nabla.Onnx.Onnx.Load(path);
            using (Autograd.NoGrad()) AssertClose(expected, imported.Call(input), "Onnx.Load");
            // Initializers carry the state-dict keys.
            Assert.Equal(model.StateDict().Keys.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
                imported.StateDict().Keys.Where(k => !k.StartsWith("constant_", StringComparison.Ordinal) && !k.StartsWith("shape_", StringComparison.Ordinal)
                    && !k.StartsWith("scalar_", StringComparison.Ordinal) && !k.StartsWith("index_", StringComparison.Ordinal)
                    && !k.StartsWith("ones_", StringComparison.Ordinal) && !k.StartsWith("zeros_", StringComparison.Ordinal)
                    && !k.StartsWith("causal_mask_", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Op_without_an_ONNX_equivalent_is_an_error_naming_it()
    {
        var model = new Sequential(new AvgPool2d(2, divisorOverride: 3));
        var path = Path.Combine(Path.GetTempPath(), $"nabla-export-{Guid.NewGuid():N}.onnx");
        var error = Assert.Throws<NotSupportedException>(() => Nabla.Onnx.Onnx.Export(model, Tensor.Randn(2, 1, 4, 4), path));
        Assert.Contains("AvgPool2d", error.Message);
        Assert.Contains("divisor_override", error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Nodes_are_named_by_their_module_and_the_batch_is_symbolic()
    {
        var model = Mlp.Create(hidden: 16, generator: new Generator(1));
        var path = Path.Combine(Path.GetTempPath(), $"nabla-export-{Guid.NewGuid():N}.onnx");
        try
        {
            Nabla.Onnx.Onnx.Export(model, Tensor.Randn(4, 1, 28, 28), path);
            var proto = Nabla.Onnx.OnnxFile.Read(path);
            Assert.Equal(17, proto.OpsetImport.Single().Version);
            Assert.Contains(proto.Graph.Node, n => n.OpType == "Gemm" && n.Name.StartsWith("1/", StringComparison.Ordinal));
            Assert.Equal("batch", proto.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
            Assert.Equal("batch", proto.Graph.Output[0].Type.TensorType.Shape.Dim[0].DimParam);
            Assert.Contains(proto.Graph.Initializer, i => i.Name == "1.weight");
        }
        finally { File.Delete(path); }
    }
}
