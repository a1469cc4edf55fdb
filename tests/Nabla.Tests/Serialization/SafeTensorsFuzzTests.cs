using System.Buffers.Binary;
using System.Text.RegularExpressions;
using System.Text;
using Nabla.Serialization;
using Nabla.Tests.TestSupport;
using Xunit.Abstractions;

namespace Nabla.Tests.Serialization;

public partial class SafeTensorsFuzzTests(ITestOutputHelper output)
{
    private static readonly string GoldenPath = Path.Combine(AppContext.BaseDirectory, "fixtures", "safetensors", "golden.safetensors");

    [GeneratedRegex("-?[0-9]+")]
    private static partial Regex Integer();

    [GeneratedRegex("\"(F64|F32|F16|BF16|I64|I32|I16|I8|U8|BOOL)\"")]
    private static partial Regex DType();

    private static void CheckConsistent((IReadOnlyList<SafeTensorEntry> Entries, IReadOnlyDictionary<string, string> Metadata) file)
    {
        Assert.NotNull(file.Metadata);
        var names = new HashSet<string>();
        foreach (SafeTensorEntry entry in file.Entries)
        {
            Assert.True(names.Add(entry.Name), $"duplicate '{entry.Name}'");
            long count = 1;
            foreach (long size in entry.Shape)
            {
                Assert.True(size >= 0);
                count *= size;
            }
            Assert.Equal(count * SafeTensors.GetElementSize(entry.DType), entry.Data.Length);
        }
    }

    private static IEnumerable<(string, byte[])> HeaderLengthMutations(byte[] golden)
    {
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(golden);
        ulong[] lengths = [0, 1, 2, 7, 8, headerLength - 1, headerLength + 1, headerLength + 8, (ulong)golden.Length,
            (ulong)golden.Length - 8, 100_000_000, 100_000_001, 1UL << 32, 1UL << 63, ulong.MaxValue];
        foreach (ulong length in lengths)
        {
            byte[] mutant = (byte[])golden.Clone();
            BinaryPrimitives.WriteUInt64LittleEndian(mutant, length);
            yield return ($"header length = {length}", mutant);
        }
    }

    // Rewrites numbers and dtypes in the JSON header, then frames it with a correct length, so the
    // header parses and the semantic checks (offsets, shapes, sizes) are what is exercised.
    private static IEnumerable<(string, byte[])> JsonMutations(byte[] golden)
    {
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(golden);
        string json = Encoding.UTF8.GetString(golden, 8, headerLength).TrimEnd(' ');
        byte[] data = golden[(8 + headerLength)..];
        string[] numbers = ["-1", "0", "1", "3", "7", "2147483647", "2147483648", "4294967296", "9007199254740993",
            "9223372036854775807", "9223372036854775808", "18446744073709551616", "1e400", "1.5", "\"x\"", "null", "[]"];
        foreach (Match match in Integer().Matches(json))
        {
            foreach (string replacement in numbers)
            {
                string mutated = json[..match.Index] + replacement + json[(match.Index + match.Length)..];
                yield return ($"number at {match.Index} = {replacement}", [.. SafeTensorsTests.Frame(mutated, 0), .. data]);
            }
        }
        string[] dtypes = ["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL", "U64", "F8_E4M3", "Q4", ""];
        foreach (Match match in DType().Matches(json))
        {
            foreach (string replacement in dtypes)
            {
                string mutated = json[..match.Index] + $"\"{replacement}\"" + json[(match.Index + match.Length)..];
                yield return ($"dtype at {match.Index} = {replacement}", [.. SafeTensorsTests.Frame(mutated, 0), .. data]);
            }
        }
        var random = new Random(7);
        for (int i = 0; i < 400; i++)
        {
            int start = random.Next(json.Length);
            int length = random.Next(1, Math.Min(20, json.Length - start + 1));
            string mutated = json.Remove(start, length);
            yield return ($"header without chars {start}..{start + length}", [.. SafeTensorsTests.Frame(mutated, 0), .. data]);
        }
    }

    private static IEnumerable<(string, byte[])> Inputs(byte[] golden)
    {
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(golden);
        foreach (var input in FuzzHarness.Truncations("golden", golden)) yield return input;
        foreach (var input in FuzzHarness.TrailingGarbage("golden", golden, seed: 1)) yield return input;
        foreach (var input in FuzzHarness.ByteFlips("golden", golden, 1500, seed: 2)) yield return input;
        foreach (var input in FuzzHarness.ByteFlips("golden header", golden, 1500, seed: 3, end: headerEnd)) yield return input;
        foreach (var input in HeaderLengthMutations(golden)) yield return input;
        foreach (var input in JsonMutations(golden)) yield return input;
    }

    [Fact]
    public void Mutated_safetensors_files_are_read_consistently_or_rejected_with_InvalidDataException()
    {
        byte[] golden = File.ReadAllBytes(GoldenPath);

        var seekable = FuzzHarness.Run(Inputs(golden), bytes => SafeTensors.Read(new MemoryStream(bytes)), CheckConsistent);
        var forwardOnly = FuzzHarness.Run(
            Inputs(golden).Where((_, index) => index % 4 == 0),
            bytes => SafeTensors.Read(new ForwardOnlyStream(bytes)),
            CheckConsistent);

        output.WriteLine($"seekable: {seekable}; forward-only: {forwardOnly}");
        Assert.True(seekable.Cases > 5000, $"only {seekable.Cases} cases");
        Assert.True(seekable.Rejected > seekable.Cases / 2, $"only {seekable.Rejected} of {seekable.Cases} rejected");
        Assert.True(seekable.Accepted > 0);
        Assert.True(forwardOnly.Cases > 1000);
    }
}
