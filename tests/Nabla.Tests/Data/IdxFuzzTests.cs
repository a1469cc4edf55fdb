using System.Buffers.Binary;
using Nabla.Tests.TestSupport;
using Nabla.Vision;
using Xunit.Abstractions;

namespace Nabla.Tests.Data;

public class IdxFuzzTests(ITestOutputHelper output)
{
    private static byte[] Encode(IdxFile file, bool gzip)
    {
        var stream = new MemoryStream();
        Idx.Write(stream, file, gzip);
        return stream.ToArray();
    }

    private static byte[] Gzip(byte[] raw)
    {
        var stream = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(raw);
        }
        return stream.ToArray();
    }

    private static void CheckConsistent(IdxFile file)
    {
        Assert.InRange(file.Dimensions.Length, 1, 16);
        long product = 1;
        foreach (int size in file.Dimensions)
        {
            Assert.True(size >= 0);
            product *= size;
        }
        Assert.Equal(product, file.Data.Length);
    }

    // Header fields set to values that overflow, exceed the data, or make no sense.
    private static IEnumerable<(string, byte[])> HeaderMutations(string baseName, byte[] raw)
    {
        int rank = raw[3];
        uint[] sizes = [0, 1, 2, 0x7F, 0xFF, 0x10000, 0x7FFFFFC7, 0x7FFFFFC8, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, (uint)raw.Length];
        for (int dimension = 0; dimension < rank; dimension++)
        {
            foreach (uint size in sizes)
            {
                byte[] mutant = (byte[])raw.Clone();
                BinaryPrimitives.WriteUInt32BigEndian(mutant.AsSpan(4 + 4 * dimension), size);
                yield return ($"{baseName} dimension {dimension} = {size}", mutant);
            }
        }
        foreach (byte count in new byte[] { 0, 1, 2, 3, 4, 15, 16, 17, 128, 255 })
        {
            byte[] mutant = (byte[])raw.Clone();
            mutant[3] = count;
            yield return ($"{baseName} rank = {count}", mutant);
        }
        for (int typeCode = 0; typeCode < 256; typeCode += 7)
        {
            byte[] mutant = (byte[])raw.Clone();
            mutant[2] = (byte)typeCode;
            yield return ($"{baseName} type code = {typeCode}", mutant);
        }
    }

    private static IEnumerable<(string, byte[])> Inputs()
    {
        var random = new Random(20261123);
        var imagesData = new byte[6 * 5 * 4];
        random.NextBytes(imagesData);
        byte[] images = Encode(new IdxFile([6, 5, 4], imagesData), gzip: false);
        byte[] labels = Encode(new IdxFile([10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), gzip: false);
        byte[] imagesGz = Encode(new IdxFile([6, 5, 4], imagesData), gzip: true);
        byte[] labelsGz = Encode(new IdxFile([10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), gzip: true);

        var sources = new[] { ("images", images), ("labels", labels), ("images.gz", imagesGz), ("labels.gz", labelsGz) };
        int seed = 1;
        foreach (var (name, bytes) in sources)
        {
            foreach (var input in FuzzHarness.Truncations(name, bytes)) yield return input;
            foreach (var input in FuzzHarness.TrailingGarbage(name, bytes, seed++)) yield return input;
            foreach (var input in FuzzHarness.ByteFlips(name, bytes, 600, seed++)) yield return input;
            // Half again aimed at the header and the gzip header, where the checks live.
            foreach (var input in FuzzHarness.ByteFlips(name + " header", bytes, 300, seed++, end: Math.Min(bytes.Length, 24))) yield return input;
        }
        foreach (var (name, raw) in new[] { ("images", images), ("labels", labels) })
        {
            foreach (var (mutation, bytes) in HeaderMutations(name, raw))
            {
                yield return (mutation, bytes);
                yield return (mutation + " (gzip)", Gzip(bytes));
            }
        }
    }

    [Fact]
    public void Mutated_idx_files_are_read_consistently_or_rejected_with_InvalidDataException()
    {
        var seekable = FuzzHarness.Run(Inputs(), bytes => Idx.Read(new MemoryStream(bytes), "fuzz"), CheckConsistent);
        var forwardOnly = FuzzHarness.Run(
            Inputs().Where((_, index) => index % 4 == 0),
            bytes => Idx.Read(new ForwardOnlyStream(bytes), "fuzz"),
            CheckConsistent);

        output.WriteLine($"seekable: {seekable}; forward-only: {forwardOnly}");
        Assert.True(seekable.Cases > 4000, $"only {seekable.Cases} cases");
        Assert.True(seekable.Rejected > seekable.Cases / 2, $"only {seekable.Rejected} of {seekable.Cases} rejected");
        Assert.True(seekable.Accepted > 0);
        Assert.Equal(seekable.Cases / 4 + (seekable.Cases % 4 == 0 ? 0 : 1), forwardOnly.Cases);
    }
}
