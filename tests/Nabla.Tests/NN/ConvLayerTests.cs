using System.Text.Json;
using Nabla.NN;
using static Nabla.Tests.Ops.ConvFixtureTests;

namespace Nabla.Tests.NN;

/// <summary>Convolution, pooling and upsampling layers: PyTorch outputs and gradients, parameters, initialisation, printing, errors.</summary>
public class ConvLayerTests
{
    public static TheoryData<string> LayerCases()
    {
        var data = new TheoryData<string>();
        foreach (var (name, c) in Cases.Value)
            if (c.GetProperty("op").GetString() == "layer") data.Add(name);
        return data;
    }

    /// <summary>Padding modes, "same" with an even kernel, and ConvTranspose2d's output size, against nn.Conv*d with the same weights.</summary>
    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Layer_matches_pytorch_output_gradients_and_repr(string name)
    {
        var c = Cases.Value[name];
        var args = c.GetProperty("args");
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(ReadTensor).ToArray();
        ConvNd layer = args.GetProperty("module").GetString() switch
        {
            "Conv2d" => new Conv2d(Int(args, "in_channels")!.Value, Int(args, "out_channels")!.Value, Pair(args, "kernel_size")!.Value, Pair(args, "stride"),
                Padding(args), Pair(args, "dilation"), Int(args, "groups") ?? 1, Bool(args, "bias") ?? true, PaddingMode(args), DType.Float64),
            "Conv1d" => new Conv1d(Int(args, "in_channels")!.Value, Int(args, "out_channels")!.Value, Int(args, "kernel_size")!.Value, Int(args, "stride") ?? 1,
                Padding(args), Int(args, "dilation") ?? 1, Int(args, "groups") ?? 1, Bool(args, "bias") ?? true, PaddingMode(args), DType.Float64),
            "ConvTranspose2d" => new ConvTranspose2d(Int(args, "in_channels")!.Value, Int(args, "out_channels")!.Value, Pair(args, "kernel_size")!.Value,
                Pair(args, "stride"), Pair(args, "padding") ?? 0, dtype: DType.Float64),
            var other => throw new NotSupportedException(other),
        };
        Assert.Equal(args.GetProperty("repr").GetString(), layer.ToString());
        var state = new Dictionary<string, Tensor> { ["weight"] = inputs[1] };
        if (inputs.Length > 2) state["bias"] = inputs[2];
        layer.LoadStateDict(state);

        var x = inputs[0].RequiresGrad_();
        var output = args.TryGetProperty("output_size", out _) && layer is ConvTranspose2d transposed
            ? transposed.Forward(x, Pair(args, "output_size")!.Value)
            : layer.Call(x);
        AssertClose(ReadTensor(c.GetProperty("output")), output, 1e-10, $"{name}: output");
        Tensor[] sources = layer.Bias is null ? [x, layer.Weight] : [x, layer.Weight, layer.Bias];
        var grads = Autograd.Grad([output], sources, [ReadTensor(c.GetProperty("grad_output"))]);
        var expected = c.GetProperty("grads").EnumerateArray().Select(ReadTensor).ToArray();
        for (int i = 0; i < sources.Length; i++) AssertClose(expected[i], grads[i]!, 1e-10, $"{name}: gradient {i}");
    }

    static string PaddingMode(JsonElement args) => args.TryGetProperty("padding_mode", out var v) ? v.GetString()! : "zeros";

    [Fact]
    public void Conv_layers_have_pytorch_parameter_names_and_shapes()
    {
        var conv = new Conv2d(3, 8, 5);
        Assert.Equal(["weight", "bias"], conv.NamedParameters().Select(p => p.Name));
        Assert.Equal([8, 3, 5, 5], conv.Weight.Shape.Dims);
        Assert.Equal([8], conv.Bias!.Shape.Dims);
        Assert.Equal(["weight"], new Conv2d(3, 8, 3, bias: false).NamedParameters().Select(p => p.Name));
        Assert.Equal([6, 2, 3, 2], new Conv2d(4, 6, (3, 2), groups: 2).Weight.Shape.Dims);
        Assert.Equal([16, 4, 4, 4], new ConvTranspose2d(16, 8, 4, groups: 2).Weight.Shape.Dims);
        Assert.Equal([4, 2, 3], new Conv1d(2, 4, 3).Weight.Shape.Dims);
        Assert.Equal(["weight", "bias"], new Conv1d(2, 4, 3).StateDict().Keys);
        Assert.Empty(new MaxPool2d(2).Parameters());
        Assert.Equal(DType.Float64, new Conv2d(1, 2, 3).Double().Parameters().First().DType);
    }

    /// <summary>kaiming_uniform_(a=√5) gives U(±1/√fanIn) for the weight; the bias is U(±1/√fanIn) too.</summary>
    [Fact]
    public void Default_initialisation_is_uniform_within_one_over_sqrt_fan_in()
    {
        Generator.ManualSeed(0);
        var conv = new Conv2d(16, 32, 3); // fanIn = 16·9 = 144, bound 1/12
        AssertUniformWithin(conv.Weight, 1.0 / 12);
        AssertUniformWithin(conv.Bias!, 1.0 / 12);
        var transposed = new ConvTranspose2d(8, 12, 4, groups: 2); // weight [8, 6, 4, 4]: fanIn = 6·16 = 96
        AssertUniformWithin(transposed.Weight, 1 / Math.Sqrt(96));
        AssertUniformWithin(transposed.Bias!, 1 / Math.Sqrt(96));
    }

    // Holds for any draw: other tests running in parallel also use the global generator, so the values after
    // ManualSeed(0) are not fixed. The spread and the mean are checked only where a failure is vanishingly
    // unlikely for a true U(±bound) (≥ 500 values: P(max < 0.8·bound) = 0.9ⁿ, the mean's sd is bound/√(3n)).
    static void AssertUniformWithin(Tensor t, double bound)
    {
        var v = t.ToArray<double>();
        Assert.All(v, x => Assert.InRange(x, -bound, bound));
        if (v.Length < 500) return;
        Assert.True(v.Max() > 0.8 * bound && v.Min() < -0.8 * bound, $"values should spread over ±{bound}: [{v.Min()}, {v.Max()}]");
        Assert.InRange(v.Average(), -0.2 * bound, 0.2 * bound);
    }

    [Fact]
    public void Layers_print_like_pytorch()
    {
        Assert.Equal("Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))", new Conv2d(1, 6, 5, padding: 2).ToString());
        Assert.Equal("Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 1), padding=valid, dilation=(2, 2), bias=False, padding_mode=reflect)",
            new Conv2d(3, 8, (3, 5), stride: (2, 1), padding: "valid", dilation: 2, bias: false, paddingMode: "reflect").ToString());
        Assert.Equal("Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=same, groups=2)", new Conv2d(4, 8, 3, padding: "same", groups: 2).ToString());
        Assert.Equal("Conv1d(2, 4, kernel_size=(3,), stride=(2,), padding=(1,))", new Conv1d(2, 4, 3, padding: 1, stride: 2).ToString());
        Assert.Equal("ConvTranspose2d(16, 8, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))",
            new ConvTranspose2d(16, 8, 4, stride: 2, padding: 1, outputPadding: 1).ToString());
        Assert.Equal("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(2).ToString());
        Assert.Equal("MaxPool2d(kernel_size=(3, 2), stride=1, padding=1, dilation=1, ceil_mode=True)", new MaxPool2d((3, 2), stride: 1, padding: 1, ceilMode: true).ToString());
        Assert.Equal("AvgPool2d(kernel_size=2, stride=2, padding=0)", new AvgPool2d(2).ToString());
        Assert.Equal("AdaptiveAvgPool2d(output_size=(1, 1))", new AdaptiveAvgPool2d((1, 1)).ToString());
        Assert.Equal("AdaptiveAvgPool2d(output_size=7)", new AdaptiveAvgPool2d(7).ToString());
        Assert.Equal("AdaptiveMaxPool2d(output_size=(2, 3))", new AdaptiveMaxPool2d((2, 3)).ToString());
        Assert.Equal("LPPool2d(norm_type=2, kernel_size=3, stride=2, ceil_mode=False)", new LPPool2d(2, 3, stride: 2).ToString());
        Assert.Equal("LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)", new LPPool2d(2, 3).ToString());
        Assert.Equal("Upsample(scale_factor=2.0, mode=bilinear)", new Upsample(scaleFactor: 2, mode: "bilinear").ToString());
        Assert.Equal("Upsample(size=(4, 5), mode=nearest)", new Upsample(size: (4, 5)).ToString());
        Assert.Equal("Upsample(scale_factor=(1.5, 2.0), mode=nearest)", new Upsample(scaleFactor: (1.5, 2)).ToString());
        Assert.Equal("MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)", new MaxPool1d(3, 2, 1).ToString());
        Assert.Equal("AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))", new AvgPool1d(3, 2, 1).ToString());
        var lenet = new Sequential(new Conv2d(1, 6, 5, padding: 2), new Sigmoid(), new AvgPool2d(2, stride: 2));
        Assert.Equal("Sequential(\n  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))\n  (1): Sigmoid()\n  (2): AvgPool2d(kernel_size=2, stride=2, padding=0)\n)",
            lenet.ToString());
    }

    [Fact]
    public void LeNet_forward_and_backward_reach_every_parameter()
    {
        Generator.ManualSeed(1);
        var net = new Sequential(
            new Conv2d(1, 6, 5, padding: 2), new Sigmoid(), new AvgPool2d(2, stride: 2),
            new Conv2d(6, 16, 5), new Sigmoid(), new MaxPool2d(2),
            new AdaptiveAvgPool2d(1), new Flatten(), new Linear(16, 10));
        var x = Tensor.Randn([4, 1, 28, 28]);
        var y = net.Call(x);
        Assert.Equal([4, 10], y.Shape.Dims);
        y.Sum().Backward();
        Assert.All(net.Parameters(), p => Assert.NotNull(p.Grad));
        Assert.All(net.Parameters(), p => Assert.Equal(p.Shape, p.Grad!.Shape));
    }

    /// <summary>A small CNN learns to tell horizontal from vertical bars (plain SGD, seeded): the layers train end to end.</summary>
    [Fact]
    public void Small_cnn_learns_bar_orientation()
    {
        Generator.ManualSeed(7);
        var images = new double[32 * 8 * 8];
        var labels = new long[32];
        for (int i = 0; i < 32; i++)
        {
            labels[i] = i % 2;
            int line = 1 + i / 2 % 6;
            for (int k = 0; k < 8; k++) images[i * 64 + (labels[i] == 0 ? line * 8 + k : k * 8 + line)] = 1;
        }
        var x = Tensor.From(images, 32, 1, 8, 8).Float();
        var y = Tensor.From(labels);
        var net = new Sequential(new Conv2d(1, 4, 3, padding: 1), new ReLU(), new MaxPool2d(2), new Conv2d(4, 4, 3, padding: "same"), new ReLU(),
            new AdaptiveAvgPool2d(1), new Flatten(), new Linear(4, 2));
        double first = 0, loss = 0;
        for (int step = 0; step < 150; step++)
        {
            net.ZeroGrad();
            var l = Functional.CrossEntropy(net.Call(x), y);
            l.Backward();
            loss = l.Item();
            if (step == 0) first = loss;
            using (Autograd.NoGrad())
                foreach (var p in net.Parameters()) p.Sub_(p.Grad! * 0.5);
        }
        Assert.True(loss < 0.1 * first, $"loss went from {first} to {loss}");
        Tensor predicted;
        using (Autograd.NoGrad()) predicted = net.Call(x).ArgMax(1);
        Assert.Equal(labels, predicted.ToArray<long>());
    }

    [Fact]
    public void Pooling_and_upsample_layers_compute_through_functional()
    {
        var x = Tensor.Randn([2, 3, 8, 8], DType.Float64, new Generator(3));
        AssertClose(Functional.MaxPool2d(x, 3, 2, 1), new MaxPool2d(3, 2, 1).Call(x), 0, "MaxPool2d");
        AssertClose(Functional.AvgPool2d(x, 2, countIncludePad: false), new AvgPool2d(2, countIncludePad: false).Call(x), 0, "AvgPool2d");
        AssertClose(Functional.AdaptiveMaxPool2d(x, (3, 5)), new AdaptiveMaxPool2d((3, 5)).Call(x), 0, "AdaptiveMaxPool2d");
        var (values, indices) = new MaxPool2d(2).ForwardWithIndices(x);
        AssertClose(x.Flatten(2).Gather(2, indices.Flatten(2)).View(values.Shape.Dims), values, 0, "MaxPool2d indices");
        var (adaptiveValues, adaptiveIndices) = new AdaptiveMaxPool2d(3).ForwardWithIndices(x);
        AssertClose(x.Flatten(2).Gather(2, adaptiveIndices.Flatten(2)).View(adaptiveValues.Shape.Dims), adaptiveValues, 0, "AdaptiveMaxPool2d indices");
        AssertClose(Functional.LPPool2d(x, 2, 2), new LPPool2d(2, 2).Call(x), 0, "LPPool2d");
        AssertClose(Functional.Interpolate(x, scaleFactor: 2, mode: "bilinear", alignCorners: true),
            new Upsample(scaleFactor: 2, mode: "bilinear", alignCorners: true).Call(x), 0, "Upsample");
        var sequence = Tensor.Randn([2, 3, 9], DType.Float64, new Generator(4));
        AssertClose(Functional.MaxPool1d(sequence, 3), new MaxPool1d(3).Call(sequence), 0, "MaxPool1d");
        AssertClose(Functional.AvgPool1d(sequence, 3, 2, 1), new AvgPool1d(3, 2, 1).Call(sequence), 0, "AvgPool1d");
    }

    [Fact]
    public void Layer_construction_errors_name_the_layer()
    {
        Assert.StartsWith("Conv2d: inChannels (3) must be divisible by groups (2).", Assert.Throws<ArgumentException>(() => new Conv2d(3, 8, 3, groups: 2)).Message);
        Assert.StartsWith("Conv2d: outChannels (5) must be divisible by groups (2).", Assert.Throws<ArgumentException>(() => new Conv2d(4, 5, 3, groups: 2)).Message);
        Assert.StartsWith("Conv2d: paddingMode must be \"zeros\", \"reflect\", \"replicate\" or \"circular\", got \"zero\".",
            Assert.Throws<ArgumentException>(() => new Conv2d(1, 1, 3, paddingMode: "zero")).Message);
        Assert.StartsWith("ConvTranspose2d: only \"zeros\" padding mode is supported",
            Assert.Throws<ArgumentException>(() => new ConvTranspose2d(1, 1, 3, paddingMode: "reflect")).Message);
        Assert.StartsWith("Upsample: give exactly one of size and scaleFactor.", Assert.Throws<ArgumentException>(() => new Upsample()).Message);
        var conv = new Conv2d(3, 4, 3);
        Assert.Equal("Conv2d: input of shape [2, 1, 8, 8] has 1 channels but weight [4, 3, 3, 3] expects 3 (groups 1).",
            Assert.Throws<ShapeException>(() => conv.Call(Tensor.Zeros(2, 1, 8, 8))).Message);
        Assert.StartsWith("ConvTranspose2d: output size (9, 9) is not reachable from input [1, 3, 4, 4]",
            Assert.Throws<ShapeException>(() => new ConvTranspose2d(3, 2, 3, stride: 2, padding: 1).Forward(Tensor.Zeros(1, 3, 4, 4), (9, 9))).Message);
    }
}
