using System.Globalization;
using System.Text.Json;

namespace Nabla.Optim;

/// <summary>
/// Encodes the scalar part of optimizer and scheduler state dicts as JSON literals
/// (<c>"0.001"</c>, <c>"true"</c>, <c>"[0.9,0.999]"</c>), so that the whole dictionary is a
/// string → string map that a checkpoint writer can store as-is (e.g. safetensors metadata).
/// Doubles round-trip exactly (shortest round-trip formatting); NaN and ±∞ are written as
/// the strings "NaN", "Infinity", "-Infinity".
/// </summary>
internal static class StateValues
{
    static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Encode(object? value) => value switch
    {
        null => "null",
        ValueTuple<double, double> pair => JsonSerializer.Serialize(new[] { pair.Item1, pair.Item2 }, Options),
        _ => JsonSerializer.Serialize(value, value.GetType(), Options),
    };

    /// <summary>
    /// Decodes <paramref name="json"/>, converting to the type of <paramref name="like"/> when given
    /// (a pair stays a pair, an int stays an int); otherwise numbers become doubles and arrays double[].
    /// </summary>
    public static object? Decode(string json, object? like = null)
    {
        using var document = JsonDocument.Parse(json);
        var element = document.RootElement;
        return like switch
        {
            ValueTuple<double, double> => ToPair(element),
            int => element.GetInt32(),
            long => element.GetInt64(),
            int[] => element.EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            long[] => element.EnumerateArray().Select(e => e.GetInt64()).ToArray(),
            _ => DecodeUntyped(element),
        };
    }

    /// <summary>Reads a number saved under <paramref name="key"/>; <paramref name="owner"/> names the loader in errors.</summary>
    public static double ReadDouble(IReadOnlyDictionary<string, string> state, string key, string owner) =>
        (double)(Decode(Find(state, key, owner)) ?? double.NaN);

    /// <summary>Reads an integer saved under <paramref name="key"/>.</summary>
    public static int ReadInt(IReadOnlyDictionary<string, string> state, string key, string owner) =>
        (int)Decode(Find(state, key, owner), 0)!;

    /// <summary>Reads a bool saved under <paramref name="key"/>.</summary>
    public static bool ReadBool(IReadOnlyDictionary<string, string> state, string key, string owner) =>
        (bool)Decode(Find(state, key, owner))!;

    /// <summary>Reads a string saved under <paramref name="key"/>.</summary>
    public static string ReadString(IReadOnlyDictionary<string, string> state, string key, string owner) =>
        Decode(Find(state, key, owner)) as string ?? throw new FormatException($"{owner}.LoadStateDict: '{key}' is not a string.");

    /// <summary>Reads a list of numbers saved under <paramref name="key"/>.</summary>
    public static double[] ReadDoubles(IReadOnlyDictionary<string, string> state, string key, string owner) =>
        (double[])Decode(Find(state, key, owner))!;

    /// <summary>Reads a list of integers saved under <paramref name="key"/>.</summary>
    public static int[] ReadInts(IReadOnlyDictionary<string, string> state, string key, string owner) =>
        (int[])Decode(Find(state, key, owner), Array.Empty<int>())!;

    static string Find(IReadOnlyDictionary<string, string> state, string key, string owner) =>
        state.TryGetValue(key, out var json)
            ? json
            : throw new KeyNotFoundException($"{owner}.LoadStateDict: the state dict has no entry '{key}'.");

    static object? DecodeUntyped(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number => element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null => null,
        JsonValueKind.String => element.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var s => s,
        },
        JsonValueKind.Array => element.EnumerateArray().Select(e => (double)DecodeUntyped(e)!).ToArray(),
        _ => throw new FormatException($"StateValues: unsupported JSON value {element.GetRawText()}."),
    };

    static (double, double) ToPair(JsonElement element)
    {
        var values = element.EnumerateArray().Select(e => (double)DecodeUntyped(e)!).ToArray();
        if (values.Length != 2) throw new FormatException($"StateValues: expected a pair, got {element.GetRawText()}.");
        return (values[0], values[1]);
    }

    /// <summary>Formats a double for messages without culture surprises.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
