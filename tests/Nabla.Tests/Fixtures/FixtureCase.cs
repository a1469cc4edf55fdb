using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Nabla.Tests.Fixtures;

/// <summary>One fixture case: an op, its arguments and inputs, and PyTorch's outputs and gradients.</summary>
public sealed class FixtureCase
{
    /// <summary>Makes a case from its JSON object.</summary>
    public FixtureCase(JsonElement json)
    {
        Json = json;
        Name = json.GetProperty("name").GetString()!;
        Op = json.GetProperty("op").GetString()!;
        Args = json.TryGetProperty("args", out var args) ? args : default;
        Note = json.TryGetProperty("note", out var note) ? note.GetString() : null;
        Inputs = [.. json.GetProperty("inputs").EnumerateArray().Select(FixtureInput.Parse)];
        var output = json.GetProperty("output");
        IsMultiOutput = output.ValueKind == JsonValueKind.Array;
        Outputs = IsMultiOutput ? [.. output.EnumerateArray().Select(FixtureTensor.Parse)] : [FixtureTensor.Parse(output)];
        if (json.TryGetProperty("grad_output", out var gradOutput))
            GradOutputs = gradOutput.ValueKind == JsonValueKind.Array
                ? [.. gradOutput.EnumerateArray().Select(FixtureTensor.ParseOrNull)]
                : [FixtureTensor.Parse(gradOutput)];
        if (json.TryGetProperty("grads", out var grads))
            Grads = [.. grads.EnumerateArray().Select(FixtureTensor.ParseOrNull)];
    }

    /// <summary>The raw JSON (for family-specific fields such as the Hessian's value and gradient).</summary>
    public JsonElement Json { get; }
    /// <summary>Unique case name, e.g. <c>add_broadcast_row</c>.</summary>
    public string Name { get; }
    /// <summary>PyTorch's function name, e.g. <c>add</c>.</summary>
    public string Op { get; }
    /// <summary>Keyword arguments under PyTorch's names.</summary>
    public JsonElement Args { get; }
    /// <summary>Why the case is special, when it is.</summary>
    public string? Note { get; }
    /// <summary>Tensor or scalar operands, in PyTorch's order.</summary>
    public IReadOnlyList<FixtureInput> Inputs { get; }
    /// <summary>Expected outputs (one unless <see cref="IsMultiOutput"/>; null for none).</summary>
    public IReadOnlyList<FixtureTensor?> Outputs { get; }
    /// <summary>True when PyTorch returned a tuple or list.</summary>
    public bool IsMultiOutput { get; }
    /// <summary>The vector of the vector-Jacobian product, one per output (null: that output gets no gradient).</summary>
    public IReadOnlyList<FixtureTensor?>? GradOutputs { get; }
    /// <summary>d sum(output · grad_output) / d base of each input (null: the input needs no gradient).</summary>
    public IReadOnlyList<FixtureTensor?>? Grads { get; }

    /// <summary>True when the argument is present and not null.</summary>
    public bool Has(string key) => Args.ValueKind == JsonValueKind.Object && Args.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    JsonElement Arg(string key) => Has(key) ? Args.GetProperty(key) : throw new KeyNotFoundException($"{Name}: argument '{key}' is missing.");

    /// <summary>An integer argument.</summary>
    public int Int(string key) => Arg(key).GetInt32();
    /// <summary>An integer argument, or <paramref name="fallback"/> when absent.</summary>
    public int Int(string key, int fallback) => Has(key) ? Int(key) : fallback;
    /// <summary>An integer-list argument (a single integer reads as a one-element list).</summary>
    public int[] Ints(string key)
    {
        var v = Arg(key);
        return v.ValueKind == JsonValueKind.Array ? [.. v.EnumerateArray().Select(e => e.GetInt32())] : [v.GetInt32()];
    }
    /// <summary>True when the argument is a list (e.g. <c>dim=(0, 2)</c> rather than <c>dim=1</c>).</summary>
    public bool IsList(string key) => Has(key) && Args.GetProperty(key).ValueKind == JsonValueKind.Array;
    /// <summary>A numeric argument; "inf", "-inf" and "nan" read as such.</summary>
    public double Double(string key) => FixtureTensor.ReadDouble(Arg(key));
    /// <summary>A numeric argument, or <paramref name="fallback"/> when absent.</summary>
    public double Double(string key, double fallback) => Has(key) ? Double(key) : fallback;
    /// <summary>True when a numeric argument was written as a JSON integer (a Python int).</summary>
    public bool IsInteger(string key) => Has(key) && Arg(key).ValueKind == JsonValueKind.Number && !Arg(key).GetRawText().Any(ch => ch is '.' or 'e' or 'E');
    /// <summary>A boolean argument, or <paramref name="fallback"/> when absent.</summary>
    public bool Bool(string key, bool fallback = false) => Has(key) ? Arg(key).GetBoolean() : fallback;
    /// <summary>A string argument, or <paramref name="fallback"/> when absent.</summary>
    public string? String(string key, string? fallback = null) => Has(key) ? Arg(key).ToString() : fallback;
    /// <summary>The <c>dtype</c> argument, if any.</summary>
    public DType? DTypeArg(string key = "dtype") => Has(key) ? FixtureTensor.ParseDType(Arg(key).GetString()!) : null;
    /// <summary>The raw JSON of an argument.</summary>
    public JsonElement Raw(string key) => Arg(key);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
