using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Nabla.Tests.Fixtures;

/// <summary>A tensor as stored in a fixture: dtype, shape, flat row-major data, and an optional view.</summary>
public sealed class FixtureTensor
{
    /// <summary>Element type.</summary>
    public required DType DType { get; init; }
    /// <summary>Sizes (of the base tensor when <see cref="View"/> is set).</summary>
    public required int[] Shape { get; init; }
    /// <summary>float[], double[], long[], int[], byte[] or bool[] by dtype.</summary>
    public required Array Data { get; init; }
    /// <summary>Whether the base tensor is a leaf that requires grad.</summary>
    public bool RequiresGrad { get; init; }
    /// <summary>A view applied to the base to make the actual (non-contiguous) operand.</summary>
    public JsonElement? View { get; init; }

    /// <summary>Reads a TENSOR object, or null for JSON null.</summary>
    public static FixtureTensor? ParseOrNull(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : Parse(e);

    /// <summary>Reads a TENSOR object.</summary>
    public static FixtureTensor Parse(JsonElement e)
    {
        var dtype = ParseDType(e.GetProperty("dtype").GetString()!);
        int[] shape = [.. e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())];
        var values = e.GetProperty("data");
        int n = values.GetArrayLength();
        Array data = dtype switch
        {
            // float32 data are the shortest decimals that round-trip through float: parse as float.
            DType.Float32 => values.EnumerateArray().Select(ReadSingle).ToArray(),
            DType.Float64 => values.EnumerateArray().Select(ReadDouble).ToArray(),
            DType.Int64 => values.EnumerateArray().Select(v => v.GetInt64()).ToArray(),
            DType.Int32 => values.EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            DType.UInt8 => values.EnumerateArray().Select(v => v.GetByte()).ToArray(),
            _ => values.EnumerateArray().Select(v => v.GetBoolean()).ToArray(),
        };
        if (data.Length != n) throw new InvalidDataException("fixture data length mismatch");
        return new FixtureTensor
        {
            DType = dtype,
            Shape = shape,
            Data = data,
            RequiresGrad = e.TryGetProperty("requires_grad", out var rg) && rg.GetBoolean(),
            View = e.TryGetProperty("view", out var view) ? view.Clone() : null,
        };
    }

    internal static DType ParseDType(string name) => name switch
    {
        "float32" => DType.Float32,
        "float64" => DType.Float64,
        "int64" => DType.Int64,
        "int32" => DType.Int32,
        "uint8" => DType.UInt8,
        "bool" => DType.Bool,
        _ => throw new InvalidDataException($"unknown fixture dtype '{name}'"),
    };

    internal static double ReadDouble(JsonElement v) => v.ValueKind == JsonValueKind.String
        ? v.GetString() switch
        {
            "nan" => double.NaN,
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            var s => throw new InvalidDataException($"bad number '{s}'"),
        }
        : v.GetDouble();

    static float ReadSingle(JsonElement v) => v.ValueKind == JsonValueKind.String ? (float)ReadDouble(v) : v.GetSingle();

    /// <summary>The values as doubles (exact for every dtype we store except int64 beyond 2⁵³).</summary>
    public double[] ToDoubles() => Data switch
    {
        float[] a => [.. a.Select(x => (double)x)],
        double[] a => a,
        long[] a => [.. a.Select(x => (double)x)],
        int[] a => [.. a.Select(x => (double)x)],
        byte[] a => [.. a.Select(x => (double)x)],
        bool[] a => [.. a.Select(x => x ? 1.0 : 0.0)],
        _ => throw new NotSupportedException(),
    };

    /// <summary>The base tensor: a new leaf holding the data (on <paramref name="device"/> when given), requiring grad when the fixture says so.</summary>
    public Tensor BuildBase(Device? device = null)
    {
        var t = NablaBridge.FromArray(Data, Shape);
        if (device is { } d) t = t.To(d);
        if (RequiresGrad) t.RequiresGrad = true;
        return t;
    }

    /// <summary>Applies <see cref="View"/> (if any) to a base tensor built by <see cref="BuildBase"/>.</summary>
    public Tensor ApplyView(Tensor baseTensor)
    {
        if (View is not { } view) return baseTensor;
        return view.GetProperty("kind").GetString() switch
        {
            "transpose" => baseTensor.Transpose(view.GetProperty("dim0").GetInt32(), view.GetProperty("dim1").GetInt32()),
            "permute" => baseTensor.Permute([.. view.GetProperty("dims").EnumerateArray().Select(d => d.GetInt32())]),
            "expand" => baseTensor.Expand([.. view.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())]),
            "slice" => NablaBridge.Slice(baseTensor, view.GetProperty("dim").GetInt32(), view.GetProperty("start").GetInt32(),
                view.GetProperty("end").GetInt32(), view.GetProperty("step").GetInt32()),
            var kind => throw new InvalidDataException($"unknown view kind '{kind}'"),
        };
    }

    /// <summary>A plain tensor (no grad, no view) holding the data: e.g. a grad_output (on <paramref name="device"/> when given).</summary>
    public Tensor ToTensor(Device? device = null) => device is { } d ? NablaBridge.FromArray(Data, Shape).To(d) : NablaBridge.FromArray(Data, Shape);

    /// <inheritdoc/>
    public override string ToString() => $"{DType} [{string.Join(", ", Shape)}]";
}
