using System.Globalization;
using System.Text.Json;

namespace Nabla.Cli;

/// <summary>
/// Reads the string metadata of a checkpoint, which a person may have edited by hand: every value is
/// checked, and a missing or malformed one is an <see cref="InvalidDataException"/> that names the
/// file, the key and what was expected, never a parser's exception.
/// </summary>
/// <param name="metadata">The checkpoint's metadata.</param>
/// <param name="path">The checkpoint file, for messages.</param>
/// <param name="kind">What a checkpoint with all the keys is ("a charlm checkpoint"), for the message of a missing key.</param>
public sealed class CheckpointMetadata(IReadOnlyDictionary<string, string> metadata, string path, string kind)
{
    /// <summary>Bytes of a random generator's state (<see cref="Generator.GetState"/>).</summary>
    public const int GeneratorStateBytes = 32;

    /// <summary>The value of <paramref name="key"/>.</summary>
    /// <exception cref="InvalidDataException">The key is missing.</exception>
    public string Get(string key) => metadata.TryGetValue(key, out string? value) ? value
        : throw new InvalidDataException($"{path}: not {kind} (metadata '{key}' is missing).");

    /// <summary>The value of <paramref name="key"/>, or null when the checkpoint lacks it (older checkpoints).</summary>
    public string? Optional(string key) => metadata.TryGetValue(key, out string? value) ? value : null;

    /// <summary>The whole number under <paramref name="key"/>, at least <paramref name="min"/>.</summary>
    public int Int(string key, int min = int.MinValue) =>
        int.TryParse(Get(key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) && value >= min ? value
            : throw Malformed(key, min == 0 ? "a whole number, 0 or more" : min == int.MinValue ? "a whole number" : $"a whole number, at least {min}");

    /// <summary>The 64-bit whole number under <paramref name="key"/>.</summary>
    public long Long(string key) =>
        long.TryParse(Get(key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) ? value : throw Malformed(key, "a whole number");

    /// <summary>The finite number under <paramref name="key"/>; with <paramref name="positive"/> greater than 0, else 0 or more.</summary>
    public double Double(string key, bool positive) =>
        double.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) && (positive ? value > 0 : value >= 0)
            ? value
            : throw Malformed(key, positive ? "a positive number" : "a number, 0 or more");

    /// <summary>The JSON value under <paramref name="key"/>, read as <typeparamref name="T"/>.</summary>
    public T Json<T>(string key, JsonSerializerOptions? options = null)
    {
        string text = Get(key);
        try
        {
            return JsonSerializer.Deserialize<T>(text, options) ?? throw Malformed(key, "a JSON value other than null");
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"{path}: metadata '{key}' is not valid JSON ({FirstSentence(exception.Message)}).", exception);
        }
    }

    /// <summary>A random generator's state under <paramref name="key"/>: base64 of <see cref="GeneratorStateBytes"/> bytes.</summary>
    public byte[] GeneratorState(string key)
    {
        byte[] state;
        try
        {
            state = Serialization.Checkpoint.DecodeState(Get(key), key);
        }
        catch (InvalidDataException)
        {
            throw Malformed(key, $"a random generator's state (base64 of {GeneratorStateBytes} bytes)");
        }
        return state.Length == GeneratorStateBytes ? state
            : throw new InvalidDataException($"{path}: metadata '{key}' holds {state.Length} bytes; a random generator's state has {GeneratorStateBytes}.");
    }

    private InvalidDataException Malformed(string key, string expected)
    {
        string value = Get(key);
        string shown = value.Length > 40 ? value[..40] + "…" : value;
        return new InvalidDataException($"{path}: metadata '{key}' is '{shown}', not {expected}.");
    }

    /// <summary>A parser's message without the position System.Text.Json appends ("Path: $ | LineNumber: 0 | BytePositionInLine: 3.").</summary>
    internal static string FirstSentence(string message)
    {
        foreach (string tail in new[] { " Path:", " LineNumber:" })
        {
            if (message.IndexOf(tail, StringComparison.Ordinal) is int at and > 0)
            {
                message = message[..at];
            }
        }
        return message.TrimEnd().TrimEnd('.');
    }
}
