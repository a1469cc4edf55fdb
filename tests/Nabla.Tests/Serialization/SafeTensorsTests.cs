using System.Buffers.Binary;
using System.Text;
using Nabla.Serialization;
using Nabla.Tests.TestSupport;

namespace Nabla.Tests.Serialization;

public class SafeTensorsTests
{
    private static readonly string GoldenPath = Path.Combine(AppContext.BaseDirectory, "fixtures", "safetensors", "golden.safetensors");

    private static readonly Dictionary<string, string> GoldenMetadata = new()
    {
        ["format"] = "pt",
        ["note"] = "golden fixture \u2014 hand-written",
    };

    // The same tensors as tests/fixtures/safetensors/make_fixture.py, in a different order.
    private static List<SafeTensorEntry> GoldenEntries() =>
    [
        new("mask", "BOOL", [3], [1, 0, 1]),
        new("weight", "F32", [2, 3], Floats(0.5f, -1.25f, 3.0f, 1e-8f, -0.0f, 65504.0f)),
        new("bias", "F32", [3], Floats(1, 2, 3)),
        new("steps", "I64", [], BitConverter.GetBytes(42L)),
        new("double", "F64", [2], [.. BitConverter.GetBytes(3.141592653589793), .. BitConverter.GetBytes(-2.5)]),
        new("half", "F16", [3], [.. BitConverter.GetBytes((Half)1.0f), .. BitConverter.GetBytes((Half)(-2.0f)), .. BitConverter.GetBytes((Half)0.5f)]),
        new("brain", "BF16", [2], [0x80, 0x3F, 0x60, 0xC0]),
        new("indices", "I32", [2, 2], [.. BitConverter.GetBytes(1), .. BitConverter.GetBytes(-2), .. BitConverter.GetBytes(3), .. BitConverter.GetBytes(-4)]),
        new("short", "I16", [2], [.. BitConverter.GetBytes((short)-300), .. BitConverter.GetBytes((short)300)]),
        new("tiny", "I8", [3], [0x80, 0, 0x7F]),
        new("pixels", "U8", [2, 2], [0, 128, 255, 7]),
        new("empty", "F32", [0, 4], []),
        new("\u00e9mbed.w\u00e9ight", "F32", [1], Floats(2.0f)),
    ];

    private static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }
        return bytes;
    }

    private static void AssertSameEntries(IEnumerable<SafeTensorEntry> expected, IEnumerable<SafeTensorEntry> actual)
    {
        var byName = actual.ToDictionary(entry => entry.Name);
        var expectedList = expected.ToList();
        Assert.Equal(expectedList.Count, byName.Count);
        foreach (SafeTensorEntry entry in expectedList)
        {
            Assert.True(byName.TryGetValue(entry.Name, out SafeTensorEntry? read), $"missing '{entry.Name}'");
            Assert.Equal(entry.DType, read.DType);
            Assert.Equal(entry.Shape, read.Shape);
            Assert.Equal(entry.Data, read.Data);
        }
    }

    [Fact]
    public void ReadFile_reads_the_golden_fixture_written_by_hand_in_python()
    {
        var (entries, metadata) = SafeTensors.ReadFile(GoldenPath);

        AssertSameEntries(GoldenEntries(), entries);
        Assert.Equal(GoldenMetadata, metadata);
        var weight = entries.Single(entry => entry.Name == "weight");
        Assert.Equal(-1.25f, BinaryPrimitives.ReadSingleLittleEndian(weight.Data.AsSpan(4)));
        Assert.Equal(42L, BinaryPrimitives.ReadInt64LittleEndian(entries.Single(entry => entry.Name == "steps").Data));
        // Entries come back in data order, which the reference writer makes widest dtype first.
        Assert.Equal(["steps", "double", "bias", "empty", "weight", "\u00e9mbed.w\u00e9ight", "indices", "brain", "half", "short", "tiny", "pixels", "mask"],
            entries.Select(entry => entry.Name));
    }

    [Fact]
    public void Write_of_the_golden_entries_is_byte_identical_to_the_python_fixture()
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, GoldenEntries(), GoldenMetadata);

        Assert.Equal(File.ReadAllBytes(GoldenPath), stream.ToArray());
    }

    [Fact]
    public void Write_then_read_round_trips_entries_and_metadata()
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, GoldenEntries(), GoldenMetadata);
        stream.Position = 0;

        var (entries, metadata) = SafeTensors.Read(stream);

        AssertSameEntries(GoldenEntries(), entries);
        Assert.Equal(GoldenMetadata, metadata);
    }

    [Fact]
    public void Write_pads_the_header_with_spaces_to_a_multiple_of_8()
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, [new SafeTensorEntry("a", "U8", [1], [5])]);
        byte[] bytes = stream.ToArray();

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.Equal(0UL, headerLength % 8);
        Assert.Equal("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", header.TrimEnd(' '));
        Assert.Equal(5, bytes[^1]);
    }

    [Fact]
    public void Empty_file_without_tensors_round_trips()
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, []);
        Assert.Equal(16, stream.Length); // length + "{}" + 6 spaces
        stream.Position = 0;

        var (entries, metadata) = SafeTensors.Read(stream);

        Assert.Empty(entries);
        Assert.Empty(metadata);
    }

    [Fact]
    public void Read_from_forward_only_stream_matches_read_from_file()
    {
        byte[] bytes = File.ReadAllBytes(GoldenPath);

        var (entries, metadata) = SafeTensors.Read(new ForwardOnlyStream(bytes));

        AssertSameEntries(GoldenEntries(), entries);
        Assert.Equal(GoldenMetadata, metadata);
    }

    [Fact]
    public void WriteFile_replaces_the_file_and_leaves_no_temporary_file()
    {
        string directory = Directory.CreateTempSubdirectory("nabla-st-").FullName;
        try
        {
            string path = Path.Combine(directory, "model.safetensors");
            File.WriteAllText(path, "old contents");

            SafeTensors.WriteFile(path, GoldenEntries(), GoldenMetadata);

            Assert.Equal(File.ReadAllBytes(GoldenPath), File.ReadAllBytes(path));
            Assert.Equal(["model.safetensors"], Directory.GetFiles(directory).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void WriteFile_removes_temporaries_left_by_a_killed_writer_but_not_one_being_written()
    {
        string directory = Directory.CreateTempSubdirectory("nabla-st-").FullName;
        try
        {
            string path = Path.Combine(directory, "model.safetensors");
            string stale = Path.Combine(directory, $".model.safetensors.{Guid.NewGuid():N}.tmp");
            string inFlight = Path.Combine(directory, $".model.safetensors.{Guid.NewGuid():N}.tmp");
            string other = Path.Combine(directory, $".other.safetensors.{Guid.NewGuid():N}.tmp");
            File.WriteAllText(stale, "half a checkpoint");
            File.WriteAllText(other, "another file's temporary");
            // A writer holds its temporary open exclusively, as WriteFile does.
            using (var writer = new FileStream(inFlight, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                SafeTensors.WriteFile(path, GoldenEntries(), GoldenMetadata);

                Assert.False(File.Exists(stale), "the stale temporary is removed");
                Assert.True(File.Exists(inFlight), "the temporary being written stays");
                Assert.True(File.Exists(other), "another file's temporary stays");
            }
            Assert.Equal(File.ReadAllBytes(GoldenPath), File.ReadAllBytes(path));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void WriteFile_that_fails_midway_keeps_the_old_file_and_removes_the_temporary()
    {
        string directory = Directory.CreateTempSubdirectory("nabla-st-").FullName;
        try
        {
            string path = Path.Combine(directory, "model.safetensors");
            File.WriteAllText(path, "old contents");

            Assert.Throws<InvalidOperationException>(() => SafeTensors.WriteFile(path, FailingEntries()));

            Assert.Equal("old contents", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        static IEnumerable<SafeTensorEntry> FailingEntries()
        {
            yield return new SafeTensorEntry("a", "U8", [1], [1]);
            throw new InvalidOperationException("producer failed");
        }
    }

    [Theory]
    [InlineData("a", "F32", new long[] { 2 }, 7, "needs 8 bytes but Data has 7")]
    [InlineData("a", "F31", new long[] { 2 }, 8, "unknown dtype 'F31'")]
    [InlineData("a", "F32", new long[] { -2 }, 8, "negative dimension")]
    [InlineData("__metadata__", "F32", new long[] { 2 }, 8, "reserved")]
    [InlineData("a", "F64", new long[] { long.MaxValue, 2 }, 8, "Data has 8")]
    public void Write_rejects_invalid_entries(string name, string dtype, long[] shape, int dataLength, string problem)
    {
        var exception = Assert.Throws<ArgumentException>(() => SafeTensors.Write(new MemoryStream(), [new SafeTensorEntry(name, dtype, shape, new byte[dataLength])]));

        Assert.Contains(problem, exception.Message);
    }

    [Fact]
    public void Write_rejects_duplicate_names()
    {
        var exception = Assert.Throws<ArgumentException>(() => SafeTensors.Write(new MemoryStream(),
            [new SafeTensorEntry("a", "U8", [1], [1]), new SafeTensorEntry("a", "U8", [1], [2])]));

        Assert.Contains("'a' appears twice", exception.Message);
    }

    /// <summary>Frames a header as a file: 8-byte length, the JSON padded to 8, then <paramref name="dataBytes"/> bytes.</summary>
    internal static byte[] Frame(string json, int dataBytes)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        int padded = (header.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        return bytes;
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "not valid JSON")]
    [InlineData("[1,2]", 0, "does not start with '{'")]
    [InlineData("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "tensor 'a': missing 'dtype'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "tensor 'a': missing 'shape'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "tensor 'a': missing 'data_offsets'")]
    [InlineData("{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "tensor 'a': unknown dtype 'Q7'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "tensor 'a': shape[0] = -2 is negative")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, "tensor 'a': shape[0] = 2.5 is not an integer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "tensor 'a': data_offsets [0, 8] span 8 bytes but shape [3] of F32 needs 12")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "truncated")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "4 bytes of trailing data")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "tensor 'a': data_offsets [4, 12] leave a gap")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "tensor 'b': data_offsets [4, 12] overlap tensor 'a'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "end before they begin")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, "expected [begin, end]")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, "tensor 'a' appears twice")]
    [InlineData("{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "overflows a 64-bit byte count")]
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}", 1, "is not an integer in range")]
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"shape\":[4000000000],\"data_offsets\":[0,4000000000]}}", 1, "do not fit in one array")]
    [InlineData("{\"__metadata__\":{\"k\":1}}", 0, "metadata 'k' is a JSON Number, not a string")]
    [InlineData("{\"__metadata__\":[]}", 0, "'__metadata__' is a JSON Array")]
    [InlineData("{\"a\":[]}", 0, "tensor 'a': is a JSON Array, not an object")]
    public void Read_malformed_header_throws_InvalidDataException_naming_tensor_and_problem(string json, int dataBytes, string problem)
    {
        byte[] bytes = Frame(json, dataBytes);

        var exception = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new MemoryStream(bytes)));

        Assert.Contains(problem, exception.Message);
    }

    [Fact]
    public void Read_accepts_an_unpadded_header_and_null_metadata_as_other_writers_may_produce()
    {
        byte[] json = Encoding.UTF8.GetBytes("{\"__metadata__\":null,\"x\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[0,2]}}");
        byte[] bytes = [.. BitConverter.GetBytes((ulong)json.Length), .. json, 0x34, 0x12];
        Assert.NotEqual(0, json.Length % 8);

        var (entries, metadata) = SafeTensors.Read(new MemoryStream(bytes));

        Assert.Empty(metadata);
        SafeTensorEntry x = Assert.Single(entries);
        Assert.Equal(0x1234, BinaryPrimitives.ReadInt16LittleEndian(x.Data));
    }

    [Fact]
    public void Read_header_with_invalid_utf8_throws_InvalidDataException()
    {
        byte[] bytes = Frame("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
        bytes[10] = 0xFF; // inside the name "a"

        var exception = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new MemoryStream(bytes)));

        Assert.Contains("not valid UTF-8", exception.Message);
    }

    [Theory]
    [InlineData(0UL, "too small")]
    [InlineData(100_000_001UL, "exceeds the limit")]
    [InlineData(ulong.MaxValue, "exceeds the limit")]
    [InlineData(1_000_000UL, "exceeds the 57 bytes after the length field")]
    public void Read_absurd_header_length_throws_before_allocating(ulong headerLength, string problem)
    {
        byte[] bytes = Frame("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);

        var exception = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new MemoryStream(bytes)));

        Assert.Contains(problem, exception.Message);
    }

    [Fact]
    public void ReadFile_error_names_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"nabla-bad-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        try
        {
            var exception = Assert.Throws<InvalidDataException>(() => SafeTensors.ReadFile(path));

            Assert.StartsWith(path + ": ", exception.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
