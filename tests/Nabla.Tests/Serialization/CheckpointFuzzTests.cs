using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Nabla.Serialization;
using Nabla.Tests.TestSupport;
using Xunit.Abstractions;

namespace Nabla.Tests.Serialization;

public partial class CheckpointFuzzTests(ITestOutputHelper output)
{
    [GeneratedRegex("[0-9]+")]
    private static partial Regex Integer();

    // A small checkpoint with every dtype, a scalar, an empty tensor and metadata: ~800 bytes.
    private static byte[] Original()
    {
        var model = new Dictionary<string, Tensor>
        {
            ["w"] = Tensor.From(new[] { 1.5f, -2f, 0.25f, 8f, float.NaN, -0f }, 2, 3),
            ["b"] = Tensor.From(new[] { 0.5, -1.0 }),
            ["steps"] = Tensor.From(3L),
            ["idx"] = Tensor.From(new[] { 1, -1 }),
            ["pixels"] = Tensor.From(new byte[] { 0, 7, 255 }),
            ["mask"] = Tensor.From(new[] { true, false }),
            ["empty"] = Tensor.Zeros([0, 2]),
        };
        var optimizer = new Dictionary<string, Tensor> { ["0.exp_avg"] = Tensor.From(new[] { 0.1f, 0.2f }) };
        var metadata = new Dictionary<string, string> { ["epoch"] = "4", ["optimizer"] = """{"lr":0.01}""" };
        var stream = new MemoryStream();
        Checkpoint.Save(stream, model, optimizer, metadata);
        return stream.ToArray();
    }

    private static void CheckConsistent(CheckpointData checkpoint)
    {
        foreach (Tensor tensor in checkpoint.Model.Values.Concat(checkpoint.Optimizer.Values))
        {
            // Every accepted tensor is a usable tensor: its elements can be read.
            Assert.Equal(tensor.NumElements, StateDict.ToEntry("t", tensor).Data.Length / tensor.DType.ElementSize());
        }
        Assert.NotNull(checkpoint.Metadata);
    }

    private static IEnumerable<(string, byte[])> HeaderLengths(byte[] original)
    {
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(original);
        ulong[] lengths = [0, 1, 2, 7, 8, length - 8, length - 1, length + 1, length + 8, (ulong)original.Length - 8, (ulong)original.Length,
            100_000_000, 100_000_001, int.MaxValue, 1UL << 32, 1UL << 62, 1UL << 63, ulong.MaxValue];
        foreach (ulong value in lengths)
        {
            byte[] mutant = (byte[])original.Clone();
            BinaryPrimitives.WriteUInt64LittleEndian(mutant, value);
            yield return ($"header length {value}", mutant);
        }
    }

    // Every number of the JSON header (shapes, offsets) replaced by absurd values, re-framed with
    // a correct length so that the semantic checks are what is exercised.
    private static IEnumerable<(string, byte[])> AbsurdNumbers(byte[] original)
    {
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        string json = Encoding.UTF8.GetString(original, 8, headerLength).TrimEnd(' ');
        byte[] data = original[(8 + headerLength)..];
        string[] numbers = ["0", "1", "9", "2147483647", "2147483648", "4294967295", "9223372036854775807", "18446744073709551615", "-5", "1e9"];
        foreach (Match match in Integer().Matches(json))
        {
            foreach (string number in numbers)
            {
                string mutated = json[..match.Index] + number + json[(match.Index + match.Length)..];
                yield return ($"number at {match.Index} = {number}", [.. SafeTensorsTests.Frame(mutated, 0), .. data]);
            }
        }
        foreach (string dtype in new[] { "\"F32\"", "\"I64\"", "\"BOOL\"" })
        {
            foreach (string other in new[] { "\"F16\"", "\"U8\"", "\"BOOL\"", "\"I32\"", "\"F64\"" })
            {
                string mutated = json.Replace(dtype, other);
                yield return ($"{dtype} -> {other}", [.. SafeTensorsTests.Frame(mutated, 0), .. data]);
            }
        }
        foreach (string prefix in new[] { "model.", "optimizer." })
        {
            yield return ($"prefix {prefix} removed", [.. SafeTensorsTests.Frame(json.Replace("\"" + prefix, "\""), 0), .. data]);
        }
        yield return ("format key renamed", [.. SafeTensorsTests.Frame(json.Replace(Checkpoint.FormatKey, "nabla.xheckpoint"), 0), .. data]);
    }

    private static IEnumerable<(string, byte[])> Inputs(byte[] original)
    {
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        return FuzzHarness.Truncations("checkpoint", original).Where((_, i) => i % 2 == 0 || i < 16)
            .Concat(FuzzHarness.TrailingGarbage("checkpoint", original, seed: 11))
            .Concat(FuzzHarness.ByteFlips("checkpoint header", original, 850, seed: 12, end: headerEnd))
            .Concat(FuzzHarness.ByteFlips("checkpoint", original, 300, seed: 13))
            .Concat(FuzzHarness.ByteFlips("checkpoint data", original, 100, seed: 14, start: headerEnd))
            .Concat(HeaderLengths(original))
            .Concat(AbsurdNumbers(original));
    }

    [Fact]
    public void Mutated_checkpoints_load_consistently_or_throw_InvalidDataException()
    {
        byte[] original = Original();
        var clock = Stopwatch.StartNew();

        var outcome = FuzzHarness.Run(Inputs(original), bytes => Checkpoint.Load(new MemoryStream(bytes)), CheckConsistent);
        var forwardOnly = FuzzHarness.Run(
            Inputs(original).Where((_, i) => i % 8 == 0),
            bytes => Checkpoint.Load(new ForwardOnlyStream(bytes)),
            CheckConsistent);

        output.WriteLine($"{original.Length} bytes; seekable {outcome}; forward-only {forwardOnly}; {clock.ElapsedMilliseconds} ms");
        Assert.InRange(outcome.Cases, 1800, 4000);
        Assert.True(outcome.Rejected > outcome.Cases / 2, $"only {outcome.Rejected} of {outcome.Cases} rejected");
        Assert.True(outcome.Accepted > 0, "no mutant was accepted: the fuzz only tests the first check");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"fuzzing took {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void The_unmutated_checkpoint_loads()
    {
        var (model, optimizer, metadata) = Checkpoint.Load(new MemoryStream(Original()));

        Assert.Equal(7, model.Count);
        Assert.Single(optimizer);
        Assert.Equal("4", metadata["epoch"]);
    }
}
