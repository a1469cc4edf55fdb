using System.Text.Json;
using Nabla.Optim;

namespace Nabla.Tests.Optim;

/// <summary>Reads tests/fixtures/optim.json (written by tests/fixtures/make_optim_fixtures.py with PyTorch 1.13).</summary>
internal static class OptimFixtures
{
    static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "optim.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    public static JsonElement Case(string section, string name) =>
        Root.GetProperty(section).EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    public static TheoryData<string> Names(string section)
    {
        var data = new TheoryData<string>();
        foreach (var c in Root.GetProperty(section).EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    public static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(e => (float)e.GetDouble())];

    public static double[] Doubles(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetDouble())];

    /// <summary>The element type of a case ("float32" unless it says "float64").</summary>
    public static DType DTypeOf(JsonElement c) =>
        c.TryGetProperty("dtype", out var d) && d.GetString() == "float64" ? DType.Float64 : DType.Float32;

    /// <summary>A tensor of the case's dtype from a JSON array of values.</summary>
    public static Tensor TensorOf(JsonElement values, int[] shape, DType dtype) =>
        dtype == DType.Float64 ? Tensor.From(Doubles(values), shape) : Tensor.From(Floats(values), shape);

    /// <summary>Compares a tensor with JSON values: float32 within rtol 1e-6, float64 within rtol 1e-12.</summary>
    public static void AssertClose(JsonElement expected, Tensor actual, string what)
    {
        if (actual.DType == DType.Float64)
        {
            var e = Doubles(expected);
            var a = actual.ToArray<double>();
            Assert.True(e.Length == a.Length, $"{what}: expected {e.Length} values, got {a.Length}.");
            for (int i = 0; i < e.Length; i++)
                Assert.True(Math.Abs(a[i] - e[i]) <= 1e-15 + 1e-12 * Math.Abs(e[i]), $"{what}[{i}]: expected {e[i]:R}, got {a[i]:R}.");
        }
        else AssertClose(Floats(expected), actual.ToArray<float>(), what);
    }

    public static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];

    /// <summary>Fresh parameters with the fixture's initial values.</summary>
    public static Tensor[] Parameters(JsonElement c)
    {
        var shapes = c.GetProperty("shapes").EnumerateArray().Select(Ints).ToArray();
        var initial = c.GetProperty("initial");
        return [.. shapes.Select((s, i) => TensorOf(initial[i], s, DTypeOf(c)).RequiresGrad_())];
    }

    /// <summary>A hyper-parameter value from JSON as the C# type ParamGroup keeps.</summary>
    public static object Value(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.Array => (e[0].GetDouble(), e[1].GetDouble()),
        JsonValueKind.String => e.GetString()!,
        _ => throw new NotSupportedException(e.GetRawText()),
    };

    /// <summary>The parameter groups of a case: one group of all parameters, or the groups it lists.</summary>
    public static List<ParamGroup> Groups(JsonElement c, Tensor[] parameters)
    {
        var groups = c.GetProperty("groups");
        if (groups.ValueKind == JsonValueKind.Null) return [new ParamGroup(parameters)];
        return [.. groups.EnumerateArray().Select(g =>
        {
            var options = new Dictionary<string, object>();
            if (g.TryGetProperty("options", out var o))
                foreach (var p in o.EnumerateObject()) options[p.Name] = Value(p.Value);
            return new ParamGroup(Ints(g.GetProperty("params")).Select(i => parameters[i]), options);
        })];
    }

    /// <summary>Builds the optimizer a case names, passing its PyTorch keyword arguments as C# arguments.</summary>
    public static Optimizer Optimizer(string name, IEnumerable<ParamGroup> groups, JsonElement defaults)
    {
        double D(string key, double fallback) => defaults.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        bool B(string key) => defaults.TryGetProperty(key, out var v) && v.GetBoolean();
        (double, double)? betas = defaults.TryGetProperty("betas", out var b) ? (b[0].GetDouble(), b[1].GetDouble()) : null;
        return name switch
        {
            "SGD" => new SGD(groups, D("lr", double.NaN), D("momentum", 0), D("dampening", 0), D("weight_decay", 0), B("nesterov"), B("maximize")),
            "Adam" => new Adam(groups, D("lr", 1e-3), betas, D("eps", 1e-8), D("weight_decay", 0), B("amsgrad"), B("maximize")),
            "AdamW" => new AdamW(groups, D("lr", 1e-3), betas, D("eps", 1e-8), D("weight_decay", 1e-2), B("amsgrad"), B("maximize")),
            "Adagrad" => new Adagrad(groups, D("lr", 1e-2), D("lr_decay", 0), D("weight_decay", 0), D("initial_accumulator_value", 0), D("eps", 1e-10), B("maximize")),
            "RMSprop" => new RMSprop(groups, D("lr", 1e-2), D("alpha", 0.99), D("eps", 1e-8), D("weight_decay", 0), D("momentum", 0), B("centered"), B("maximize")),
            "Adadelta" => new Adadelta(groups, D("lr", 1.0), D("rho", 0.9), D("eps", 1e-6), D("weight_decay", 0), B("maximize")),
            _ => throw new NotSupportedException(name),
        };
    }

    /// <summary>Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise, naming the first mismatch.</summary>
    public static void AssertClose(float[] expected, float[] actual, string what, double rtol = 1e-6, double atol = 1e-7)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, got {actual.Length}.");
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs((double)actual[i] - expected[i]);
            Assert.True(diff <= atol + rtol * Math.Abs(expected[i]),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (difference {diff:G3}).");
        }
    }
}
