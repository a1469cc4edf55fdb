using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Nabla.Serialization;

/// <summary>
/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors) at the
/// raw level, independent of <c>Tensor</c>: an 8-byte little-endian header length N, N bytes of
/// UTF-8 JSON mapping each tensor name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c>
/// (plus an optional <c>"__metadata__"</c> object of strings), padded with spaces to a multiple of
/// 8, then the tensors' bytes, contiguous, with offsets relative to the end of the header.
/// </summary>
/// <remarks>
/// The writer orders tensors as the reference implementation does (larger dtypes first, then by
/// name) and writes the same compact JSON, so its files match those of Python's <c>safetensors</c>
/// byte for byte up to the order of metadata keys (sorted here, unordered there). The reader
/// checks everything before it trusts it and reports the first problem, naming the tensor, as an
/// <see cref="InvalidDataException"/>; it never allocates more than the bytes actually present.
/// </remarks>
public static class SafeTensors
{
    /// <summary>Largest header accepted, as in the reference implementation (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Key of the optional string-to-string metadata object in the header.</summary>
    public const string MetadataKey = "__metadata__";


    // Rank = position in the reference implementation's Dtype enum, whose derived ordering sorts
    // tensors in a file (descending), so data of the widest types comes first and stays aligned.
    private static readonly Dictionary<string, (int Size, int Rank)> DTypes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = (1, 0),
        ["U8"] = (1, 1),
        ["I8"] = (1, 2),
        ["F8_E5M2"] = (1, 3),
        ["F8_E4M3"] = (1, 4),
        ["I16"] = (2, 5),
        ["U16"] = (2, 6),
        ["F16"] = (2, 7),
        ["BF16"] = (2, 8),
        ["I32"] = (4, 9),
        ["U32"] = (4, 10),
        ["F32"] = (4, 11),
        ["F64"] = (8, 12),
        ["I64"] = (8, 13),
        ["U64"] = (8, 14),
    };

    private static readonly JsonWriterOptions HeaderWriterOptions = new()
    {
        // Like serde_json: non-ASCII names stay UTF-8 rather than \u escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>The dtypes this implementation knows, as the format spells them.</summary>
    public static IReadOnlyCollection<string> SupportedDTypes => DTypes.Keys;

    /// <summary>Size in bytes of one element of a dtype.</summary>
    /// <param name="dtype">A dtype as the format spells it, e.g. <c>"F32"</c>.</param>
    /// <exception cref="ArgumentException">The dtype is unknown.</exception>
    public static int GetElementSize(string dtype)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        return DTypes.TryGetValue(dtype, out var info)
            ? info.Size
            : throw new ArgumentException($"SafeTensors: unknown dtype '{dtype}'; expected one of {string.Join(", ", DTypes.Keys)}.", nameof(dtype));
    }

    /// <summary>Writes tensors and optional metadata in safetensors format.</summary>
    /// <param name="stream">The destination; it is not closed.</param>
    /// <param name="entries">The tensors; names must be unique.</param>
    /// <param name="metadata">Optional string metadata, stored under <c>"__metadata__"</c>; omitted when null or empty.</param>
    /// <exception cref="ArgumentException">A name is repeated or reserved, a dtype unknown, a dimension negative, or a tensor's byte count does not match its shape and dtype.</exception>
    public static void Write(Stream stream, IEnumerable<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(entries);
        List<SafeTensorEntry> ordered = Validate(entries);
        ordered.Sort(static (left, right) =>
        {
            int byDType = DTypes[right.DType].Rank.CompareTo(DTypes[left.DType].Rank);
            return byDType != 0 ? byDType : CompareUtf8(left.Name, right.Name);
        });

        byte[] header = BuildHeader(ordered, metadata);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (SafeTensorEntry entry in ordered)
        {
            stream.Write(entry.Data);
        }
    }

    /// <summary>
    /// Writes tensors and optional metadata to a file atomically: the bytes go to a temporary file
    /// in the same directory, are flushed to disk, and the temporary file is then renamed over
    /// <paramref name="path"/>. A crash or exception leaves either the old file or the new one,
    /// never a torn one. Temporary files that an earlier writer killed mid-write left behind
    /// (<c>.NAME.GUID.tmp</c> beside the file, no longer held open by anyone) are removed first.
    /// </summary>
    /// <param name="path">Path of the file; replaced if it exists.</param>
    /// <param name="entries">The tensors; names must be unique.</param>
    /// <param name="metadata">Optional string metadata, stored under <c>"__metadata__"</c>.</param>
    /// <exception cref="ArgumentException">The entries are invalid (see <see cref="Write"/>); the target is untouched.</exception>
    public static void WriteFile(string path, IEnumerable<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(entries);
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"SafeTensors.WriteFile: '{path}' has no directory.", nameof(path));
        // Same directory: a rename within one file system is atomic; across file systems it is a copy.
        RemoveStaleTemporaries(directory, Path.GetFileName(fullPath));
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Write(stream, entries, metadata);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Reads a safetensors file from a stream positioned at its start.</summary>
    /// <param name="stream">The source; it is read to its end and not closed.</param>
    /// <returns>The tensors in the order of their data, and the metadata (empty when the file has none).</returns>
    /// <exception cref="InvalidDataException">The data is not a well-formed safetensors file; the message names the tensor and the problem.</exception>
    public static (IReadOnlyList<SafeTensorEntry> Entries, IReadOnlyDictionary<string, string> Metadata) Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read(stream, "safetensors stream");
    }

    /// <summary>Reads a safetensors file.</summary>
    /// <param name="path">Path of the file.</param>
    /// <returns>The tensors in the order of their data, and the metadata (empty when the file has none).</returns>
    /// <exception cref="InvalidDataException">The file is not a well-formed safetensors file; the message names the file, the tensor and the problem.</exception>
    public static (IReadOnlyList<SafeTensorEntry> Entries, IReadOnlyDictionary<string, string> Metadata) ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream, path);
    }

    private static (IReadOnlyList<SafeTensorEntry>, IReadOnlyDictionary<string, string>) Read(Stream stream, string source)
    {
        long? available = stream.CanSeek ? stream.Length - stream.Position : null;

        Span<byte> lengthBytes = stackalloc byte[8];
        int lengthRead = stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false);
        if (lengthRead < 8)
        {
            throw Error(source, $"truncated: {lengthRead} bytes, fewer than the 8 of the header length");
        }
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes)
        {
            throw Error(source, $"header length {headerLength} exceeds the limit of {MaxHeaderBytes} bytes");
        }
        if (available is long total && (long)headerLength > total - 8)
        {
            throw Error(source, $"header length {headerLength} exceeds the {total - 8} bytes after the length field");
        }
        if (headerLength < 2)
        {
            throw Error(source, $"header length {headerLength} is too small for a JSON object");
        }

        byte[] header = BoundedRead.ReadExactly(stream, (long)headerLength, sizeChecked: available is not null, filled => Error(source, $"truncated: header needs {headerLength} bytes but only {filled} are present"));
        var (entries, metadata) = ParseHeader(header, source);

        // Offsets must tile the data section: sorted by begin, each tensor starts where the last ended.
        entries.Sort(static (left, right) =>
        {
            int byBegin = left.Begin.CompareTo(right.Begin);
            int byEnd = left.End.CompareTo(right.End);
            // Empty tensors may share an offset; the name keeps their order deterministic.
            return byBegin != 0 ? byBegin : byEnd != 0 ? byEnd : string.CompareOrdinal(left.Name, right.Name);
        });
        long cursor = 0;
        HeaderEntry? previous = null;
        foreach (HeaderEntry entry in entries)
        {
            if (entry.Begin != cursor)
            {
                throw Error(source, entry.Begin < cursor
                    ? $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] overlap tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]"
                    : $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] leave a gap after byte {cursor}; tensors must be contiguous");
            }
            cursor = entry.End;
            previous = entry;
        }
        long dataBytes = cursor;
        if (available is long size)
        {
            long present = size - 8 - (long)headerLength;
            if (present < dataBytes)
            {
                throw Error(source, $"truncated: the tensors need {dataBytes} bytes of data but only {present} follow the header"
                    + (previous is null ? "" : $" (last tensor '{previous.Name}' ends at {previous.End})"));
            }
            if (present > dataBytes)
            {
                throw Error(source, $"{present - dataBytes} bytes of trailing data after the {dataBytes} bytes the tensors cover");
            }
        }

        var result = new List<SafeTensorEntry>(entries.Count);
        foreach (HeaderEntry entry in entries)
        {
            byte[] data = BoundedRead.ReadExactly(stream, entry.End - entry.Begin, sizeChecked: available is not null, filled => Error(source, $"truncated: tensor '{entry.Name}' needs {entry.End - entry.Begin} bytes but only {filled} are present"));
            result.Add(new SafeTensorEntry(entry.Name, entry.DType, entry.Shape, data));
        }
        if (available is null && stream.ReadByte() >= 0)
        {
            throw Error(source, $"trailing data after the {dataBytes} bytes the tensors cover");
        }
        return (result, metadata);
    }

    private sealed record HeaderEntry(string Name, string DType, long[] Shape, long Begin, long End);

    private static (List<HeaderEntry>, Dictionary<string, string>) ParseHeader(byte[] header, string source)
    {
        if (header[0] != (byte)'{')
        {
            throw Error(source, $"header does not start with '{{' (first byte 0x{header[0]:X2})");
        }
        // JsonDocument checks UTF-8 only when a string is decoded, and then throws
        // InvalidOperationException; check the whole header first so the error is typed.
        if (!System.Text.Unicode.Utf8.IsValid(header))
        {
            throw Error(source, "header is not valid UTF-8");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException exception)
        {
            throw Error(source, $"header is not valid JSON ({exception.Message})");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Error(source, "header is not a JSON object");
            }
            var entries = new List<HeaderEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                {
                    throw Error(source, property.Name == MetadataKey ? $"'{MetadataKey}' appears twice" : $"tensor '{property.Name}' appears twice");
                }
                if (property.Name == MetadataKey)
                {
                    ParseMetadata(property.Value, metadata, source);
                }
                else
                {
                    entries.Add(ParseEntry(property.Name, property.Value, source));
                }
            }
            return (entries, metadata);
        }
    }

    private static void ParseMetadata(JsonElement element, Dictionary<string, string> metadata, string source)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Error(source, $"'{MetadataKey}' is a JSON {element.ValueKind}, not an object of strings");
        }
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw Error(source, $"metadata '{property.Name}' is a JSON {property.Value.ValueKind}, not a string");
            }
            if (!metadata.TryAdd(property.Name, property.Value.GetString()!))
            {
                throw Error(source, $"metadata '{property.Name}' appears twice");
            }
        }
    }

    private static HeaderEntry ParseEntry(string name, JsonElement element, string source)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Error(source, $"tensor '{name}': is a JSON {element.ValueKind}, not an object");
        }
        string? dtype = null;
        long[]? shape = null;
        long[]? offsets = null;
        foreach (JsonProperty property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "dtype":
                    if (dtype is not null)
                    {
                        throw Error(source, $"tensor '{name}': 'dtype' appears twice");
                    }
                    dtype = property.Value.ValueKind == JsonValueKind.String
                        ? property.Value.GetString()!
                        : throw Error(source, $"tensor '{name}': 'dtype' is a JSON {property.Value.ValueKind}, not a string");
                    break;
                case "shape":
                    if (shape is not null)
                    {
                        throw Error(source, $"tensor '{name}': 'shape' appears twice");
                    }
                    shape = ReadIntegers(property.Value, name, "shape", source);
                    break;
                case "data_offsets":
                    if (offsets is not null)
                    {
                        throw Error(source, $"tensor '{name}': 'data_offsets' appears twice");
                    }
                    offsets = ReadIntegers(property.Value, name, "data_offsets", source);
                    break;
                default:
                    // Unknown fields are ignored, as the reference implementation does.
                    break;
            }
        }
        if (dtype is null || shape is null || offsets is null)
        {
            string missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw Error(source, $"tensor '{name}': missing '{missing}'");
        }
        if (!DTypes.TryGetValue(dtype, out var info))
        {
            throw Error(source, $"tensor '{name}': unknown dtype '{dtype}'");
        }
        if (offsets.Length != 2)
        {
            throw Error(source, $"tensor '{name}': data_offsets has {offsets.Length} numbers; expected [begin, end]");
        }
        long begin = offsets[0], end = offsets[1];
        if (end < begin)
        {
            throw Error(source, $"tensor '{name}': data_offsets [{begin}, {end}] end before they begin");
        }

        long byteCount = info.Size;
        foreach (long size in shape)
        {
            // size ≥ 0 was checked; compare before multiplying so the product never overflows.
            if (size != 0 && byteCount > long.MaxValue / size)
            {
                throw Error(source, $"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtype} overflows a 64-bit byte count");
            }
            byteCount *= size;
        }
        if (end - begin != byteCount)
        {
            throw Error(source, $"tensor '{name}': data_offsets [{begin}, {end}] span {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtype} needs {byteCount}");
        }
        if (byteCount > Array.MaxLength)
        {
            throw Error(source, $"tensor '{name}': {byteCount} bytes do not fit in one array");
        }
        return new HeaderEntry(name, dtype, shape, begin, end);
    }

    private static long[] ReadIntegers(JsonElement element, string name, string field, string source)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Error(source, $"tensor '{name}': '{field}' is a JSON {element.ValueKind}, not an array");
        }
        var values = new long[element.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long value))
            {
                throw Error(source, $"tensor '{name}': {field}[{i}] = {item.GetRawText()} is not an integer in range");
            }
            if (value < 0)
            {
                throw Error(source, $"tensor '{name}': {field}[{i}] = {value} is negative");
            }
            values[i++] = value;
        }
        return values;
    }

    private static List<SafeTensorEntry> Validate(IEnumerable<SafeTensorEntry> entries)
    {
        var list = new List<SafeTensorEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (SafeTensorEntry entry in entries)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(entries));
            if (entry.Name is null || entry.DType is null || entry.Shape is null || entry.Data is null)
            {
                throw new ArgumentException($"SafeTensors.Write: tensor '{entry.Name}' has a null Name, DType, Shape or Data.", nameof(entries));
            }
            if (entry.Name == MetadataKey)
            {
                throw new ArgumentException($"SafeTensors.Write: '{MetadataKey}' is reserved and cannot name a tensor.", nameof(entries));
            }
            if (!names.Add(entry.Name))
            {
                throw new ArgumentException($"SafeTensors.Write: tensor '{entry.Name}' appears twice.", nameof(entries));
            }
            if (!DTypes.TryGetValue(entry.DType, out var info))
            {
                throw new ArgumentException($"SafeTensors.Write: tensor '{entry.Name}': unknown dtype '{entry.DType}'.", nameof(entries));
            }
            // Data.Length bounds a valid product, so stop multiplying as soon as it is exceeded.
            long byteCount = info.Size;
            foreach (long size in entry.Shape)
            {
                if (size < 0)
                {
                    throw new ArgumentException($"SafeTensors.Write: tensor '{entry.Name}': negative dimension in shape [{string.Join(", ", entry.Shape)}].", nameof(entries));
                }
                byteCount = size != 0 && byteCount > long.MaxValue / size ? long.MaxValue : byteCount * size;
            }
            if (byteCount != entry.Data.Length)
            {
                throw new ArgumentException(
                    $"SafeTensors.Write: tensor '{entry.Name}': shape [{string.Join(", ", entry.Shape)}] of {entry.DType} needs {byteCount} bytes but Data has {entry.Data.Length}.", nameof(entries));
            }
            list.Add(entry);
        }
        return list;
    }

    private static byte[] BuildHeader(List<SafeTensorEntry> ordered, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, HeaderWriterOptions))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                var keys = new List<string>(metadata.Keys);
                keys.Sort(CompareUtf8);
                foreach (string key in keys)
                {
                    json.WriteString(key, metadata[key]);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (SafeTensorEntry entry in ordered)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.DType);
                json.WriteStartArray("shape");
                foreach (long size in entry.Shape)
                {
                    json.WriteNumberValue(size);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += entry.Data.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // Pad with spaces to a multiple of 8 so the data, and with it every 8-byte dtype, is aligned.
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++)
        {
            buffer.WriteByte((byte)' ');
        }
        return buffer.ToArray();
    }

    // Names compare as UTF-8 bytes, as Rust's String ordering in the reference writer does.
    private static int CompareUtf8(string left, string right)
    {
        byte[] leftBytes = Encoding.UTF8.GetBytes(left);
        byte[] rightBytes = Encoding.UTF8.GetBytes(right);
        return leftBytes.AsSpan().SequenceCompareTo(rightBytes);
    }

    // A writer holds its temporary file open with FileShare.None, which .NET enforces between processes
    // with an advisory lock (flock on Unix): a temporary that can be opened the same way has no writer left.
    private static void RemoveStaleTemporaries(string directory, string fileName)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }
        foreach (string temporary in Directory.EnumerateFiles(directory, $".{fileName}.*.tmp"))
        {
            try
            {
                using (new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose))
                {
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Still being written by another process, or not ours to remove: leave it.
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original exception matters more than a stray temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static InvalidDataException Error(string source, string problem) =>
        new($"{source}: not a valid safetensors file: {problem}.");
}
