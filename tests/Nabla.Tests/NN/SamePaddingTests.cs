using System.Text.Json;
using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>
/// padding="same" at any stride (TensorFlow's rule) in the convolutions and pools, and nn.LocalResponseNorm, against PyTorch
/// (tests/fixtures/make_same_padding_fixtures.py: explicit F.pad, then the op without padding).
/// </summary>
public class SamePaddingTests
{
    static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
        Fixture.Load("same_padding.json").GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c));

    public static TheoryData<string> AllCases()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Value.Keys) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void Functional_and_layer_match_pytorch_output_and_gradients(string name)
    {
        var c = Cases.Value[name];
        var args = c.GetProperty("args");
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(Fixture.Tensor).Select(t => t.RequiresGrad_()).ToArray();
        int Int(string key) => args.GetProperty(key).ValueKind == JsonValueKind.Array ? args.GetProperty(key)[0].GetInt32() : args.GetProperty(key).GetInt32();
        Pair2d Pair(string key) => args.GetProperty(key).ValueKind == JsonValueKind.Array
            ? new Pair2d(args.GetProperty(key)[0].GetInt32(), args.GetProperty(key)[1].GetInt32()) : args.GetProperty(key).GetInt32();
        bool IncludePad() => args.GetProperty("count_include_pad").GetBoolean();
        double Double(string key) => args.GetProperty(key).GetDouble();
        var x = inputs[0];
        var (output, layerOutput) = c.GetProperty("op").GetString() switch
        {
            "conv2d" => (Functional.Conv2d(x, inputs[1], inputs[2], Pair("stride"), "same", Pair("dilation")), LayerConv2d(inputs, Pair("stride"), Pair("dilation"))),
            "conv1d" => (Functional.Conv1d(x, inputs[1], inputs[2], Int("stride"), "same", Int("dilation")), LayerConv1d(inputs, Int("stride"), Int("dilation"))),
            "max_pool2d" => (Functional.MaxPool2d(x, Pair("kernel_size"), Pair("stride"), "same"), new MaxPool2d(Pair("kernel_size"), Pair("stride"), "same").Call(x)),
            "max_pool1d" => (Functional.MaxPool1d(x, Int("kernel_size"), Int("stride"), "same"), new MaxPool1d(Int("kernel_size"), Int("stride"), "same").Call(x)),
            "avg_pool2d" => (Functional.AvgPool2d(x, Pair("kernel_size"), Pair("stride"), "same", countIncludePad: IncludePad()),
                new AvgPool2d(Pair("kernel_size"), Pair("stride"), "same", countIncludePad: IncludePad()).Call(x)),
            "avg_pool1d" => (Functional.AvgPool1d(x, Int("kernel_size"), Int("stride"), "same", countIncludePad: IncludePad()),
                new AvgPool1d(Int("kernel_size"), Int("stride"), "same", countIncludePad: IncludePad()).Call(x)),
            "local_response_norm" => (Functional.LocalResponseNorm(x * Double("input_scale"), Int("size"), Double("alpha"), Double("beta"), Double("k")),
                new LocalResponseNorm(Int("size"), Double("alpha"), Double("beta"), Double("k")).Call(x * Double("input_scale"))),
            var other => throw new NotSupportedException(other),
        };

        Fixture.AssertClose(Fixture.Tensor(c.GetProperty("output")), output, $"{name}: output", 1e-10, 1e-12);
        Fixture.AssertClose(Fixture.Tensor(c.GetProperty("output")), layerOutput, $"{name}: layer output", 1e-10, 1e-12);
        var grads = Autograd.Grad([output], inputs, [Fixture.Tensor(c.GetProperty("grad_output"))]);
        var expected = c.GetProperty("grads").EnumerateArray().Select(Fixture.Tensor).ToArray();
        for (int i = 0; i < inputs.Length; i++) Fixture.AssertClose(expected[i], grads[i], $"{name}: gradient {i}", 1e-9, 1e-12);
    }

    static Tensor LayerConv2d(Tensor[] inputs, Pair2d stride, Pair2d dilation)
    {
        var w = inputs[1];
        var layer = new Conv2d(w.Size(1), w.Size(0), (w.Size(2), w.Size(3)), stride, "same", dilation, dtype: DType.Float64);
        layer.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = w.Detach(), ["bias"] = inputs[2].Detach() });
        return layer.Call(inputs[0]);
    }

    static Tensor LayerConv1d(Tensor[] inputs, int stride, int dilation)
    {
        var w = inputs[1];
        var layer = new Conv1d(w.Size(1), w.Size(0), w.Size(2), stride, "same", dilation, dtype: DType.Float64);
        layer.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = w.Detach(), ["bias"] = inputs[2].Detach() });
        return layer.Call(inputs[0]);
    }

    [Theory]
    [InlineData(7, 3, 2, 1, 4, 1, 1)]   // ⌈7/2⌉ = 4 outputs: (4 − 1)·2 + 3 − 7 = 2, one each side
    [InlineData(8, 3, 2, 1, 4, 0, 1)]   // (4 − 1)·2 + 3 − 8 = 1: the odd pixel at the end
    [InlineData(8, 4, 2, 1, 4, 1, 1)]   // 6 + 4 − 8 = 2
    [InlineData(10, 3, 3, 2, 4, 2, 2)]  // (4 − 1)·3 + 2·2 + 1 − 10 = 4
    [InlineData(5, 1, 2, 1, 3, 0, 0)]   // a 1×1 kernel needs none
    [InlineData(6, 2, 5, 1, 2, 0, 1)]   // (2 − 1)·5 + 2 − 6 = 1
    [InlineData(9, 3, 1, 1, 9, 1, 1)]   // stride 1: dilation·(k − 1), PyTorch's "same"
    public void Same_padding_follows_tensorflows_rule(int input, int kernel, int stride, int dilation, int outputs, int before, int after)
    {
        Assert.Equal((before, after), Functional.SamePadding(input, kernel, stride, dilation));
        var x = Tensor.Ones([1, 1, input]);
        Assert.Equal(outputs, Functional.Conv1d(x, Tensor.Ones([1, 1, kernel]), stride: stride, padding: "same", dilation: dilation).Size(-1));
        Assert.Equal(outputs, new Conv1d(1, 1, kernel, stride, "same", dilation, paddingMode: "reflect").Call(x).Size(-1));
    }

    [Fact]
    public void Same_padding_layers_print_it_and_reject_ceil_mode()
    {
        Assert.Equal("Conv2d(1, 2, kernel_size=(3, 3), stride=(2, 2), padding=same)", new Conv2d(1, 2, 3, stride: 2, padding: "same").ToString());
        Assert.Equal("MaxPool2d(kernel_size=3, stride=2, padding=same, dilation=1, ceil_mode=False)", new MaxPool2d(3, 2, "same").ToString());
        Assert.Equal("AvgPool1d(kernel_size=(3,), stride=(2,), padding=same)", new AvgPool1d(3, 2, "same").ToString());
        Assert.Equal("LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=2.0)", new LocalResponseNorm(5, 1e-4, 0.75, 2).ToString());
        Assert.StartsWith("MaxPool2d: padding=\"same\" fixes the output size; ceilMode does not apply.",
            Assert.Throws<ArgumentException>(() => Functional.MaxPool2d(Tensor.Zeros(1, 1, 4, 4), 2, 2, "same", ceilMode: true)).Message);
        Assert.StartsWith("LocalResponseNorm: input must have at least 3 dims",
            Assert.Throws<ShapeException>(() => Functional.LocalResponseNorm(Tensor.Zeros(2, 3), 2)).Message);
    }

    [Fact]
    public void Local_response_norm_double_backward_gradcheck()
    {
        var x = Tensor.Randn([1, 4, 2, 2], DType.Float64, new Generator(3));
        Assert.True(Autograd.GradCheck(t => Functional.LocalResponseNorm(t[0], 3, 0.5, 0.75, 1.0), [x]));
    }

    [Fact]
    public void Original_alexnet_puts_local_response_norm_after_the_first_two_convolutions()
    {
        var net = Nabla.Vision.Models.AlexNet.Original(width: 1.0 / 32);
        Assert.Equal([2, 6], net.Features.NamedChildren().Where(c => c.Module is LocalResponseNorm).Select(c => int.Parse(c.Name, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal([2, 10], net.Call(Tensor.Randn([2, 1, 67, 67], generator: new Generator(1))).Shape.ToArray());
        // The same parameters as the course's AlexNet: normalisation learns nothing.
        Assert.Equal(new Nabla.Vision.Models.AlexNet(width: 1.0 / 32).Parameters().Sum(p => p.Shape.NumElements), net.Parameters().Sum(p => p.Shape.NumElements));
    }
}
