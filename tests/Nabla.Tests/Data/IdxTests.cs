using System.IO.Compression;
using Nabla.Vision;
using Nabla.Tests.TestSupport;

namespace Nabla.Tests.Data;

public class IdxTests
{
    private static IdxFile MakeImages(int count, int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var data = new byte[count * rows * columns];
        random.NextBytes(data);
        return new IdxFile([count, rows, columns], data);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Write_then_read_round_trips_dimensions_and_bytes(bool gzip)
    {
        IdxFile original = MakeImages(5, 4, 3, seed: 1);
        var stream = new MemoryStream();
        Idx.Write(stream, original, gzip);
        stream.Position = 0;

        IdxFile read = Idx.Read(stream, "round-trip");

        Assert.Equal([5, 4, 3], read.Dimensions);
        Assert.Equal(original.Data, read.Data);
        Assert.Equal(5, read.Count);
    }

    [Fact]
    public void Write_raw_produces_the_documented_header_bytes()
    {
        var stream = new MemoryStream();
        Idx.Write(stream, new IdxFile([2, 1, 3], [1, 2, 3, 4, 5, 6]), gzip: false);

        byte[] expected = [0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6];
        Assert.Equal(expected, stream.ToArray());
    }

    [Fact]
    public void Write_gzip_produces_a_standard_gzip_stream()
    {
        var stream = new MemoryStream();
        Idx.Write(stream, new IdxFile([3], [7, 8, 9]), gzip: true);

        byte[] bytes = stream.ToArray();
        Assert.Equal([0x1F, 0x8B], bytes[..2]);
        using var decompressed = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        var raw = new MemoryStream();
        decompressed.CopyTo(raw);
        Assert.Equal([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9], raw.ToArray());
    }

    [Fact]
    public void Read_file_detects_gzip_by_magic_not_by_name()
    {
        string directory = Directory.CreateTempSubdirectory("nabla-idx-").FullName;
        try
        {
            IdxFile original = MakeImages(2, 2, 2, seed: 2);
            string compressedWithoutSuffix = Path.Combine(directory, "images");
            using (var file = File.Create(compressedWithoutSuffix))
            {
                Idx.Write(file, original, gzip: true);
            }
            string rawWithGzSuffix = Path.Combine(directory, "labels.gz");
            using (var file = File.Create(rawWithGzSuffix))
            {
                Idx.Write(file, original, gzip: false);
            }

            Assert.Equal(original.Data, Idx.Read(compressedWithoutSuffix).Data);
            Assert.Equal(original.Data, Idx.Read(rawWithGzSuffix).Data);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Read_from_forward_only_stream_works_for_gzip()
    {
        var buffer = new MemoryStream();
        Idx.Write(buffer, new IdxFile([4], [1, 2, 3, 4]), gzip: true);

        IdxFile read = Idx.Read(new ForwardOnlyStream(buffer.ToArray()), "pipe");

        Assert.Equal([1, 2, 3, 4], read.Data);
    }

    [Fact]
    public void Empty_first_dimension_round_trips()
    {
        var stream = new MemoryStream();
        Idx.Write(stream, new IdxFile([0, 28, 28], []), gzip: false);
        stream.Position = 0;

        IdxFile read = Idx.Read(stream, "empty");

        Assert.Equal([0, 28, 28], read.Dimensions);
        Assert.Empty(read.Data);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0x08, 1, 0, 0, 0, 3, 1, 2 }, "truncated")]
    [InlineData(new byte[] { 0, 0, 0x08, 1, 0, 0, 0, 1, 1, 2 }, "trailing garbage")]
    [InlineData(new byte[] { 0, 1, 0x08, 1, 0, 0, 0, 1, 1 }, "wrong magic")]
    [InlineData(new byte[] { 0, 0, 0x0D, 1, 0, 0, 0, 1, 1, 2, 3, 4 }, "unsupported type code 0x0D (float32)")]
    [InlineData(new byte[] { 0, 0, 0x08, 0 }, "0 dimensions")]
    [InlineData(new byte[] { 0, 0, 0x08, 200, 0, 0, 0, 1 }, "200 dimensions")]
    [InlineData(new byte[] { 0, 0, 0x08, 1, 0xFF, 0xFF, 0xFF, 0xFF }, "absurd size 4294967295")]
    [InlineData(new byte[] { 0, 0, 0x08, 3, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF }, "more values than an array can")]
    [InlineData(new byte[] { 0, 0, 0x08, 1, 0x7F, 0xFF, 0xFF, 0xC0, 1 }, "truncated")]
    [InlineData(new byte[] { 0, 0, 0x08, 3, 0, 0, 0 }, "truncated")]
    [InlineData(new byte[] { 0, 0 }, "truncated")]
    [InlineData(new byte[] { }, "truncated")]
    public void Read_malformed_raw_throws_InvalidDataException_naming_file_and_problem(byte[] bytes, string problem)
    {
        var exception = Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream(bytes), "bad.idx"));

        Assert.StartsWith("bad.idx: ", exception.Message);
        Assert.Contains(problem, exception.Message);
    }

    [Fact]
    public void Read_gzip_claiming_gigabytes_fails_on_missing_bytes_not_memory()
    {
        // Header claims 0x7FFFFFC0 × 1 × 1 bytes (about 2 GB), the gzip member holds 10.
        byte[] raw = [0, 0, 0x08, 3, 0x7F, 0xFF, 0xFF, 0xC0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(raw);
        }
        compressed.Position = 0;

        var exception = Assert.Throws<InvalidDataException>(() => Idx.Read(compressed, "bomb.gz"));

        Assert.Contains("truncated", exception.Message);
        Assert.Contains("only 10 are present", exception.Message);
    }

    [Fact]
    public void Read_gzip_with_trailing_decompressed_garbage_throws()
    {
        byte[] raw = [0, 0, 0x08, 1, 0, 0, 0, 2, 1, 2, 99];
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(raw);
        }
        compressed.Position = 0;

        var exception = Assert.Throws<InvalidDataException>(() => Idx.Read(compressed, "extra.gz"));

        Assert.Contains("trailing garbage", exception.Message);
    }

    [Fact]
    public void Write_rejects_data_that_does_not_match_dimensions()
    {
        var exception = Assert.Throws<ArgumentException>(() => Idx.Write(new MemoryStream(), new IdxFile([2, 3], new byte[5]), gzip: false));

        Assert.Contains("need 6 values but Data has 5", exception.Message);
    }
}
