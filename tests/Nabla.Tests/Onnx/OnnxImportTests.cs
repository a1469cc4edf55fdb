using System.Text.Json;
using Nabla.NN;
using Nabla.Onnx.Protobuf;
using Nabla.Tests.TestSupport;
using static Nabla.Tests.Onnx.OnnxModels;
using DataType = Nabla.Onnx.Protobuf.TensorProto.Types.DataType;

namespace Nabla.Tests.Onnx;

public class OnnxImportTests
{
    static void AssertClose(Tensor expected, Tensor actual, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tolerance * Math.Max(1, Math.Abs(e[i])), $"element {i}: expected {e[i]}, got {a[i]}");
    }

    static (Tensor Input, Tensor Output) PyTorchCase(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "onnx", name + ".json")));
        var root = json.RootElement;
        int[] Shape(string key) => root.GetProperty(key).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var values = root.GetProperty("input").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var input = name == "encoder"
            ? Tensor.From(values.Select(v => (long)v).ToArray(), Shape("input_shape"))
            : Tensor.From(values.Select(v => (float)v).ToArray(), Shape("input_shape"));
        var output = Tensor.From(root.GetProperty("output").EnumerateArray().Select(e => e.GetSingle()).ToArray(), Shape("output_shape"));
        return (input, output);
    }

    [Theory]
    [InlineData("lenet_bn")]
    [InlineData("residual")]
    [InlineData("encoder")]
    public void PyTorch_export_runs_in_Nabla_like_PyTorch_and_OnnxRuntime(string name)
    {
        var module = Nabla.Onnx.Onnx.Load(Fixture(name));
        var (input, pytorch) = PyTorchCase(name);
        Tensor nabla;
        using (Autograd.NoGrad()) nabla = module.Call(input);
        AssertClose(pytorch, nabla);
        AssertClose(OnnxRuntimeRunner.Run(Fixture(name), input)[0], nabla);
        // The batch dimension is symbolic in the export: one sample runs too.
        var one = input.Narrow(0, 0, 1).Contiguous();
        using (Autograd.NoGrad()) AssertClose(OnnxRuntimeRunner.Run(Fixture(name), one)[0], module.Call(one));
    }

    [Fact]
    public void Initializers_are_parameters_named_as_in_the_model()
    {
        var module = Nabla.Onnx.Onnx.Load(Fixture("encoder"));
        var names = module.NamedParameters().Select(p => p.Name).ToList();
        Assert.Contains("embedding.weight", names);
        Assert.Contains("layer.self_attn.in_proj_weight", names);
        Assert.Contains("layer.linear1.weight", names);
        Assert.Equal([16, 32], module.StateDict()["layer.linear2.weight"].Shape.ToArray());
        Assert.All(module.Parameters(), p => Assert.True(p.RequiresGrad));
    }

    [Fact]
    public void BatchNormalization_running_statistics_are_buffers_and_integer_initializers_too()
    {
        var model = Model(
            [Node("BatchNormalization", "bn", ["x", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"], ["y0"]),
             Node("Reshape", "flat", ["y0", "shape"], ["y"])],
            [Value("x", DataType.Float, 2, 3, 2, 2)], [Value("y", DataType.Float, 2, 12)],
            [("bn.weight", Tensor.From([1f, 2f, 3f])), ("bn.bias", Tensor.From([0f, 1f, 0f])),
             ("bn.running_mean", Tensor.From([0.5f, 0f, -1f])), ("bn.running_var", Tensor.From([1f, 4f, 0.25f])),
             ("shape", Tensor.From([2L, -1L]))]);
        var module = Load(model);
        Assert.Equal(["bn.weight", "bn.bias"], module.NamedParameters().Select(p => p.Name));
        Assert.Equal(["bn.running_mean", "bn.running_var", "shape"], module.NamedBuffers().Select(b => b.Name).Order(StringComparer.Ordinal));
        var x = Tensor.Randn([2, 3, 2, 2], generator: new Generator(3));
        var expected = Functional.BatchNorm(x, Tensor.From([0.5f, 0f, -1f]), Tensor.From([1f, 4f, 0.25f]), Tensor.From([1f, 2f, 3f]), Tensor.From([0f, 1f, 0f])).Reshape(2, 12);
        AssertClose(expected, module.Call(x), 1e-6);
    }

    [Fact]
    public void Imported_model_is_differentiable_like_the_same_Nabla_layers()
    {
        var weight = Tensor.Randn([4, 3], DType.Float64, new Generator(1));
        var bias = Tensor.Randn([4], DType.Float64, new Generator(2));
        var model = Model(
            [Node("Gemm", "fc", ["x", "fc.weight", "fc.bias"], ["h"], Int("transB", 1)),
             Node("Tanh", "act", ["h"], ["t"]),
             Node("Softmax", "softmax", ["t"], ["y"], Int("axis", -1))],
            [Value("x", DataType.Double, -1, 3)], [Value("y", DataType.Double, -1, 4)],
            [("fc.weight", weight), ("fc.bias", bias)]);
        var module = Load(model);
        var x = Tensor.Randn([5, 3], DType.Float64, new Generator(4));
        var target = Tensor.Randn([5, 4], DType.Float64, new Generator(5));
        var loss = (module.Call(x) * target).Sum();
        loss.Backward();

        var w = weight.Clone().RequiresGrad_();
        var b = bias.Clone().RequiresGrad_();
        var reference = (Functional.Linear(x, w, b).Tanh().Softmax(-1) * target).Sum();
        reference.Backward();
        AssertClose(reference, loss, 1e-12);
        var parameters = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        AssertClose(w.Grad!, parameters["fc.weight"].Grad!, 1e-12);
        AssertClose(b.Grad!, parameters["fc.bias"].Grad!, 1e-12);
        Assert.True(Autograd.GradCheck(inputs => module.Call(inputs[0]), [x.Clone().RequiresGrad_()]));
    }

    [Fact]
    public void Unsupported_operator_fails_at_load_naming_it_and_the_node()
    {
        var model = Model([Node("Relu", "first", ["x"], ["h"]), Node("FancyOp", "second", ["h"], ["y"])],
            [Value("x", DataType.Float, 2)], [Value("y", DataType.Float, 2)]);
        var error = Assert.Throws<InvalidDataException>(() => Load(model));
        Assert.Contains("FancyOp", error.Message);
        Assert.Contains("'second'", error.Message);
    }

    [Fact]
    public void Graph_that_uses_a_value_before_computing_it_fails_at_load()
    {
        var model = Model([Node("Relu", "late", ["h"], ["y"]), Node("Relu", "early", ["x"], ["h"])],
            [Value("x", DataType.Float, 2)], [Value("y", DataType.Float, 2)]);
        var error = Assert.Throws<InvalidDataException>(() => Load(model));
        Assert.Contains("'h'", error.Message);
        Assert.Contains("Relu node 'late'", error.Message);
    }

    [Fact]
    public void Input_of_the_wrong_shape_or_dtype_names_the_input_and_both()
    {
        var module = Nabla.Onnx.Onnx.Load(Fixture("lenet_bn"));
        var shapeError = Assert.Throws<ShapeException>(() => module.Call(Tensor.Zeros(2, 1, 32, 32)));
        Assert.Contains("'input'", shapeError.Message);
        Assert.Contains("[batch, 1, 28, 28]", shapeError.Message);
        Assert.Contains("[2, 1, 32, 32]", shapeError.Message);
        var typeError = Assert.Throws<DTypeException>(() => module.Call(Tensor.Zeros([2, 1, 28, 28], DType.Float64)));
        Assert.Contains("Float32", typeError.Message);
        Assert.Contains("Float64", typeError.Message);
    }

    [Fact]
    public void Node_that_fails_while_running_is_named()
    {
        var model = Model([Node("MatMul", "product", ["a", "b"], ["y"])],
            [Value("a", DataType.Float, 2, 3), Unshaped("b", DataType.Float)], [Unshaped("y", DataType.Float)]);
        var module = Load(model);
        var error = Assert.Throws<InvalidOperationException>(() => module.Run(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5)));
        Assert.Contains("MatMul node 'product'", error.Message);
        Assert.Contains("[4, 5]", error.Message);
    }
}

public class OnnxImportCompileTests
{
    [Theory]
    [InlineData("lenet_bn", 3)]
    [InlineData("residual", 3)]
    public void Imported_model_traces_and_compiles_like_a_native_one(string name, int batch)
    {
        var module = Nabla.Onnx.Onnx.Load(OnnxModels.Fixture(name));
        var shape = name == "lenet_bn" ? new[] { batch, 1, 28, 28 } : [batch, 3, 16, 16];
        var input = Tensor.Randn(shape, generator: new Generator(8));
        var compiled = Nabla.Jit.Jit.Compile(module, input);
        Tensor expected;
        using (Autograd.NoGrad()) expected = module.Call(input);
        var bigger = Tensor.Randn([batch + 2, .. shape[1..]], generator: new Generator(9));
        Tensor expectedBigger;
        using (Autograd.NoGrad()) expectedBigger = module.Call(bigger);
        Assert.True(compiled.Call(input).AllClose(expected, 1e-4, 1e-5));
        Assert.True(compiled.Call(bigger).AllClose(expectedBigger, 1e-4, 1e-5));
    }
}
