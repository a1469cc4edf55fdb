using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Nabla.Tests.Fixtures;

/// <summary>A case input: a tensor, or a Python scalar (<c>{"scalar": 2.5, "type": "float"}</c>).</summary>
public sealed class FixtureInput
{
    /// <summary>The tensor, or null for a scalar.</summary>
    public FixtureTensor? Tensor { get; private init; }
    /// <summary>The scalar's value.</summary>
    public double Scalar { get; private init; }
    /// <summary>"int", "float" or "bool" for scalars.</summary>
    public string? ScalarType { get; private init; }
    /// <summary>True for a Python scalar operand.</summary>
    public bool IsScalar => Tensor is null;

    /// <summary>Reads one input.</summary>
    public static FixtureInput Parse(JsonElement e)
    {
        if (!e.TryGetProperty("scalar", out var scalar)) return new FixtureInput { Tensor = FixtureTensor.Parse(e) };
        string type = e.TryGetProperty("type", out var t) ? t.GetString()! : "float";
        double value = scalar.ValueKind is JsonValueKind.True or JsonValueKind.False ? (scalar.GetBoolean() ? 1 : 0) : FixtureTensor.ReadDouble(scalar);
        return new FixtureInput { Scalar = value, ScalarType = type };
    }
}
