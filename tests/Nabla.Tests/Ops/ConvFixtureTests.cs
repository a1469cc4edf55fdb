using System.Text.Json;
using Nabla.NN;

namespace Nabla.Tests.Ops;

/// <summary>
/// Convolution, pooling and interpolation against PyTorch 1.13: outputs and the gradients of every input,
/// from tests/fixtures/conv.json (written by tests/fixtures/make_conv_fixtures.py).
/// </summary>
public class ConvFixtureTests
{
    internal static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "conv.json"));
        var root = JsonDocument.Parse(text).RootElement;
        return root.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var (name, c) in Cases.Value)
            if (c.GetProperty("op").GetString() != "layer") data.Add(name); // layer cases: NN/ConvLayerTests
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Output_and_gradients_match_pytorch(string name)
    {
        var c = Cases.Value[name];
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(t => ReadTensor(t).RequiresGrad_()).ToArray();
        var args = c.GetProperty("args");
        var output = Run(c.GetProperty("op").GetString()!, inputs, args);

        var expected = ReadTensor(c.GetProperty("output"));
        double tolerance = expected.DType == DType.Float32 ? 2e-5 : 1e-10;
        AssertClose(expected, output, tolerance, $"{name}: output");

        var grads = Autograd.Grad([output], inputs, [ReadTensor(c.GetProperty("grad_output"))]);
        var expectedGrads = c.GetProperty("grads").EnumerateArray().Select(ReadTensor).ToArray();
        for (int i = 0; i < inputs.Length; i++) AssertClose(expectedGrads[i], grads[i]!, tolerance, $"{name}: gradient of input {i}");
    }

    static Tensor Run(string op, Tensor[] x, JsonElement args)
    {
        Tensor? bias = x.Length > 2 ? x[2] : null;
        return op switch
        {
            "conv2d" => Functional.Conv2d(x[0], x[1], bias, Pair(args, "stride"), Padding(args), Pair(args, "dilation"), Int(args, "groups") ?? 1),
            "conv1d" => Functional.Conv1d(x[0], x[1], bias, Int(args, "stride") ?? 1, Padding(args), Int(args, "dilation") ?? 1, Int(args, "groups") ?? 1),
            "conv_transpose2d" => Functional.ConvTranspose2d(x[0], x[1], bias, Pair(args, "stride"), Pair(args, "padding") ?? 0,
                Pair(args, "output_padding") ?? 0, Int(args, "groups") ?? 1, Pair(args, "dilation")),
            "max_pool2d" => Functional.MaxPool2d(x[0], Pair(args, "kernel_size")!.Value, Pair(args, "stride"), Pair(args, "padding") ?? 0,
                Pair(args, "dilation"), Bool(args, "ceil_mode") ?? false),
            "max_pool1d" => Functional.MaxPool1d(x[0], Int(args, "kernel_size")!.Value, Int(args, "stride"), Int(args, "padding") ?? 0,
                Int(args, "dilation") ?? 1, Bool(args, "ceil_mode") ?? false),
            "avg_pool2d" => Functional.AvgPool2d(x[0], Pair(args, "kernel_size")!.Value, Pair(args, "stride"), Pair(args, "padding") ?? 0,
                Bool(args, "ceil_mode") ?? false, Bool(args, "count_include_pad") ?? true, Int(args, "divisor_override")),
            "avg_pool1d" => Functional.AvgPool1d(x[0], Int(args, "kernel_size")!.Value, Int(args, "stride"), Int(args, "padding") ?? 0,
                Bool(args, "ceil_mode") ?? false, Bool(args, "count_include_pad") ?? true),
            "adaptive_avg_pool2d" => Functional.AdaptiveAvgPool2d(x[0], Pair(args, "output_size")!.Value),
            "adaptive_max_pool2d" => Functional.AdaptiveMaxPool2d(x[0], Pair(args, "output_size")!.Value),
            "lp_pool2d" => Functional.LPPool2d(x[0], args.GetProperty("norm_type").GetDouble(), Pair(args, "kernel_size")!.Value,
                Pair(args, "stride"), Bool(args, "ceil_mode") ?? false),
            "interpolate" => Functional.Interpolate(x[0], Pair(args, "size"), Scale(args), args.GetProperty("mode").GetString()!, Bool(args, "align_corners")),
            _ => throw new NotSupportedException(op),
        };
    }

    internal static Pair2d? Pair(JsonElement args, string key)
    {
        if (!args.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number ? v.GetInt32() : (v[0].GetInt32(), v[1].GetInt32());
    }

    static Scale2d? Scale(JsonElement args)
    {
        if (!args.TryGetProperty("scale_factor", out var v)) return null;
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : (v[0].GetDouble(), v[1].GetDouble());
    }

    internal static ConvPadding Padding(JsonElement args)
    {
        if (!args.TryGetProperty("padding", out var v)) return default;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Number => v.GetInt32(),
            _ => (v[0].GetInt32(), v[1].GetInt32()),
        };
    }

    internal static int? Int(JsonElement args, string key) => args.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    internal static bool? Bool(JsonElement args, string key) => args.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    internal static Tensor ReadTensor(JsonElement t)
    {
        var shape = t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        var data = t.GetProperty("data");
        return t.GetProperty("dtype").GetString() switch
        {
            "float32" => Tensor.From(data.EnumerateArray().Select(v => v.GetSingle()).ToArray(), shape),
            "float64" => Tensor.From(data.EnumerateArray().Select(v => v.GetDouble()).ToArray(), shape),
            var other => throw new NotSupportedException(other),
        };
    }

    internal static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.True(expected.Shape.Equals(actual.Shape), $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        Assert.Equal(expected.DType, actual.DType);
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tolerance * (1 + Math.Abs(e[i])), $"{what}: element {i} is {a[i]:G10}, expected {e[i]:G10}");
    }
}
