using Nabla.Onnx;
using Nabla.Onnx.Protobuf;

namespace Nabla.Tests.TestSupport;

/// <summary>
/// The per-operator cases of Debian's <c>libonnx-testdata</c> (ONNX 1.12's backend node tests): each case is a
/// directory with <c>model.onnx</c> and <c>test_data_set_*/input_*.pb</c>, <c>output_*.pb</c> (serialized
/// TensorProtos). CI installs the package (tests/install-onnx-testdata.sh); elsewhere the tests that need it skip.
/// </summary>
internal static class OnnxTestData
{
    public const string Directory = "/usr/share/libonnx-testdata/data/node";

    public static bool Installed => System.IO.Directory.Exists(Directory);

    public const string SkipReason = "Debian's libonnx-testdata is not installed in " + Directory + " (tests/install-onnx-testdata.sh installs it)";

    /// <summary>How one case went.</summary>
    public enum Verdict { Passed, Failed, Unsupported }

    /// <summary>Runs case <paramref name="name"/> in Nabla and compares every output set with the expected values (|Δ| ≤ 1e-5 + 1e-3·|expected|, NaN = NaN).</summary>
    public static (Verdict Verdict, string Detail) Run(string name)
    {
        string dir = Path.Combine(Directory, name);
        OnnxModule module;
        try { module = Nabla.Onnx.Onnx.Load(Path.Combine(dir, "model.onnx")); }
        catch (InvalidDataException e) { return (Verdict.Unsupported, e.Message); }
        var sets = System.IO.Directory.GetDirectories(dir, "test_data_set_*").Order(StringComparer.Ordinal).ToArray();
        foreach (var set in sets)
        {
            Tensor[] inputs, expected;
            try
            {
                inputs = ReadTensors(set, "input");
                expected = ReadTensors(set, "output");
            }
            catch (InvalidDataException e) { return (Verdict.Unsupported, "test data: " + e.Message); }
            Tensor[] actual;
            try { actual = module.Run(inputs); }
            catch (Exception e) { return (Verdict.Failed, $"{Path.GetFileName(set)}: {e.GetType().Name}: {e.Message}"); }
            if (actual.Length < expected.Length) return (Verdict.Failed, $"{actual.Length} outputs, expected {expected.Length}");
            for (int i = 0; i < expected.Length; i++)
                if (Compare(actual[i], expected[i]) is { } difference)
                    return (Verdict.Failed, $"{Path.GetFileName(set)} output {i}: {difference}");
        }
        return (Verdict.Passed, "");
    }

    static Tensor[] ReadTensors(string set, string kind) =>
        System.IO.Directory.GetFiles(set, kind + "_*.pb")
            .OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f)[(kind.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            .Select(f =>
            {
                TensorProto proto;
                try { proto = TensorProto.Parser.ParseFrom(File.ReadAllBytes(f)); }
                catch (Google.Protobuf.InvalidProtocolBufferException e) { throw new InvalidDataException($"{f}: {e.Message}"); }
                return OnnxTensor.ToTensor(proto, Path.GetFileName(f));
            })
            .ToArray();

    static string? Compare(Tensor actual, Tensor expected)
    {
        if (!actual.Shape.Equals(expected.Shape)) return $"shape {actual.Shape}, expected {expected.Shape}";
        if (expected.DType != actual.DType && !(expected.DType.IsFloatingPoint() && actual.DType.IsFloatingPoint()))
            return $"dtype {actual.DType}, expected {expected.DType}";
        var a = actual.ToArray<double>();
        var e = expected.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
        {
            if (double.IsNaN(e[i]) && double.IsNaN(a[i])) continue;
            if (a[i] == e[i]) continue;
            if (!(Math.Abs(a[i] - e[i]) <= 1e-5 + 1e-3 * Math.Abs(e[i])))
                return $"element {i} is {a[i]}, expected {e[i]}";
        }
        return null;
    }
}
