using System.Text.Json;

namespace Nabla.Tests.NN;

/// <summary>Reads tests/fixtures/*.json tensors ({"dtype", "shape", "data"}) written by the PyTorch scripts.</summary>
static class Fixture
{
    public static JsonElement Load(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fixtures", file);
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }

    public static Tensor Tensor(JsonElement t)
    {
        int[] shape = [.. t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
        var data = t.GetProperty("data");
        return t.GetProperty("dtype").GetString() switch
        {
            "float64" => Nabla.Tensor.From(data.EnumerateArray().Select(e => e.GetDouble()).ToArray(), shape),
            "float32" => Nabla.Tensor.From(data.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray(), shape),
            "int64" => Nabla.Tensor.From(data.EnumerateArray().Select(e => e.GetInt64()).ToArray(), shape),
            var other => throw new NotSupportedException($"fixture dtype {other}"),
        };
    }

    public static Dictionary<string, Tensor> Tensors(JsonElement obj) =>
        obj.EnumerateObject().ToDictionary(p => p.Name, p => Tensor(p.Value));

    /// <summary>Asserts same shape and values within tolerance, naming what differs and by how much.</summary>
    public static void AssertClose(Tensor expected, Tensor? actual, string what, double rtol, double atol)
    {
        Assert.True(actual is not null, $"{what}: missing");
        Assert.True(expected.Shape == actual!.Shape, $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= atol + rtol * Math.Abs(e[i]) || (double.IsNaN(e[i]) && double.IsNaN(a[i])),
                $"{what}: element {i} is {a[i]:G17}, PyTorch gives {e[i]:G17}");
    }
}
