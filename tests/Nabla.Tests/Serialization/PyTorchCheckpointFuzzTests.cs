using System.IO.Compression;
using Nabla.Serialization;
using Nabla.Tests.TestSupport;
using Xunit.Abstractions;

namespace Nabla.Tests.Serialization;

/// <summary>
/// StateDict.LoadPyTorch on truncated, byte-flipped and garbage-trailed torch.save files: each either
/// loads tensors whose every element can be read, or throws InvalidDataException — never another
/// exception, a hang or a huge allocation (FuzzHarness: 1 s per case, 60 s per run).
/// </summary>
public class PyTorchCheckpointFuzzTests(ITestOutputHelper output)
{
    private static void CheckConsistent(Dictionary<string, Tensor> tensors)
    {
        foreach (var (name, tensor) in tensors)
        {
            Assert.NotNull(name);
            // Reads every element through the view's offset and strides.
            Assert.Equal(tensor.NumElements, tensor.ToArray<double>().LongLength);
        }
    }

    private static Dictionary<string, Tensor> Read(byte[] bytes) => StateDict.LoadPyTorch(new MemoryStream(bytes, writable: false));

    [Fact]
    public void Legacy_format_mutants_load_consistently_or_fail_with_InvalidDataException()
    {
        byte[] legacy = File.ReadAllBytes(PyTorchCheckpointTests.FixturePath("views_legacy.pt"));
        IEnumerable<(string, byte[])> Inputs()
        {
            foreach (var input in FuzzHarness.Truncations("legacy", legacy)) yield return input;
            foreach (var input in FuzzHarness.TrailingGarbage("legacy", legacy, seed: 1)) yield return input;
            foreach (var input in FuzzHarness.ByteFlips("legacy", legacy, 3000, seed: 2)) yield return input;
        }
        var outcome = FuzzHarness.Run(Inputs(), Read, CheckConsistent);
        output.WriteLine($"legacy: {outcome}");
        Assert.True(outcome.Rejected > outcome.Cases / 2, $"too few rejections: {outcome}");
    }

    [Fact]
    public void Zip_format_mutants_load_consistently_or_fail_with_InvalidDataException()
    {
        byte[] zip = File.ReadAllBytes(PyTorchCheckpointTests.FixturePath("views.pt"));
        IEnumerable<(string, byte[])> Inputs()
        {
            foreach (var input in FuzzHarness.Truncations("zip", zip)) yield return input;
            foreach (var input in FuzzHarness.TrailingGarbage("zip", zip, seed: 3)) yield return input;
            foreach (var input in FuzzHarness.ByteFlips("zip", zip, 1500, seed: 4)) yield return input;
        }
        var outcome = FuzzHarness.Run(Inputs(), Read, CheckConsistent);
        output.WriteLine($"zip: {outcome}");
        Assert.True(outcome.Rejected > outcome.Cases / 2, $"too few rejections: {outcome}");
    }

    // The zip's CRCs would catch most flips inside data.pkl before the unpickler saw them: here the
    // pickle is mutated and then packed into a fresh, valid archive, so every case reaches the unpickler.
    [Fact]
    public void Mutated_pickles_in_valid_archives_load_consistently_or_fail_with_InvalidDataException()
    {
        var files = new List<(string Name, byte[] Data)>();
        using (var archive = new ZipArchive(File.OpenRead(PyTorchCheckpointTests.FixturePath("views.pt")), ZipArchiveMode.Read))
        {
            foreach (ZipArchiveEntry entry in archive.Entries)
            {
                using var data = new MemoryStream();
                using (Stream stream = entry.Open())
                {
                    stream.CopyTo(data);
                }
                files.Add((entry.FullName, data.ToArray()));
            }
        }
        byte[] pickle = files.Single(file => file.Name.EndsWith("/data.pkl", StringComparison.Ordinal)).Data;

        byte[] Pack(byte[] mutant)
        {
            var packed = new MemoryStream();
            using (var archive = new ZipArchive(packed, ZipArchiveMode.Create, leaveOpen: true))
            {
                foreach (var (name, data) in files)
                {
                    using Stream stream = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
                    stream.Write(name.EndsWith("/data.pkl", StringComparison.Ordinal) ? mutant : data);
                }
            }
            return packed.ToArray();
        }

        IEnumerable<(string, byte[])> Inputs()
        {
            foreach (var (name, mutant) in FuzzHarness.Truncations("data.pkl", pickle)) yield return (name, Pack(mutant));
            foreach (var (name, mutant) in FuzzHarness.ByteFlips("data.pkl", pickle, 3000, seed: 5)) yield return (name, Pack(mutant));
        }
        var outcome = FuzzHarness.Run(Inputs(), Read, CheckConsistent);
        output.WriteLine($"repacked pickle: {outcome}");
        Assert.True(outcome.Rejected > outcome.Cases / 2, $"too few rejections: {outcome}");
    }
}
