using System.Collections;
using System.Text;
using Nabla.Serialization;

namespace Nabla.Tests.Serialization;

public class StateDictTests
{
    private static readonly string GoldenPath = Path.Combine(AppContext.BaseDirectory, "fixtures", "safetensors", "golden.safetensors");

    private static string TempFile() => Path.Combine(Directory.CreateTempSubdirectory("nabla-statedict-").FullName, "state.safetensors");

    // One tensor of each dtype, with the awkward values: NaN payloads, −0, infinities,
    // subnormals, extremes; plus a scalar, an empty tensor and a non-contiguous view.
    private static Dictionary<string, Tensor> EveryDType() => new()
    {
        ["f32"] = Tensor.From(new[] { 1.5f, -0.0f, float.NaN, BitConverter.Int32BitsToSingle(0x7FC0_1234), float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, float.MaxValue }, 2, 4),
        ["f64"] = Tensor.From(new[] { Math.PI, -0.0, double.NaN, BitConverter.Int64BitsToDouble(0x7FF8_0000_DEAD_BEEF), double.Epsilon, double.MinValue }, 3, 2),
        ["i64"] = Tensor.From(new[] { long.MinValue, -1L, 0L, long.MaxValue }),
        ["i32"] = Tensor.From(new[] { int.MinValue, -7, 0, int.MaxValue }, 2, 2),
        ["u8"] = Tensor.From(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 16, 16),
        ["mask"] = Tensor.From(new[] { true, false, false, true, true }),
        ["step"] = Tensor.From(42L),
        ["empty"] = Tensor.Zeros([0, 4]),
        ["transposed"] = Tensor.Arange(0, 6, dtype: DType.Float32).Reshape(2, 3).T,
    };

    private static byte[] Bits(Tensor tensor) => StateDict.ToEntry("t", tensor).Data;

    [Fact]
    public void Save_then_Load_round_trips_every_dtype_bit_for_bit()
    {
        string path = TempFile();
        Dictionary<string, Tensor> saved = EveryDType();

        StateDict.Save(saved, path, new Dictionary<string, string> { ["epoch"] = "3" });
        Dictionary<string, Tensor> loaded = StateDict.Load(path, out var metadata);

        Assert.Equal(saved.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, tensor) in saved)
        {
            Assert.Equal(tensor.DType, loaded[name].DType);
            Assert.Equal(tensor.Shape, loaded[name].Shape);
            Assert.Equal(Bits(tensor), Bits(loaded[name]));
        }
        Assert.Equal(BitConverter.SingleToInt32Bits(BitConverter.Int32BitsToSingle(0x7FC0_1234)), BitConverter.SingleToInt32Bits(loaded["f32"].ToArray<float>()[3]));
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, loaded["transposed"].ToArray<float>());
        Assert.Equal(new[] { true, false, false, true, true }, loaded["mask"].ToArray<bool>());
        Assert.Equal(0, loaded["step"].Rank);
        Assert.Equal("3", metadata["epoch"]);
    }

    [Fact]
    public void Saved_bytes_follow_the_safetensors_spec_exactly()
    {
        // Spec: u64 little-endian header size N, N bytes of JSON padded with spaces to a multiple
        // of 8, then the data, little-endian, offsets relative to the end of the header.
        var state = new Dictionary<string, Tensor>
        {
            ["w"] = Tensor.From(new[] { 1.0f, -2.0f }),
            ["n"] = Tensor.From(new long[] { 258 }),
        };
        var stream = new MemoryStream();

        StateDict.Save(state, stream);

        // I64 sorts before F32 (the reference writer orders by dtype, descending, then name).
        string json = "{\"n\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
        Assert.Equal(108, json.Length);
        byte[] expected =
        [
            112, 0, 0, 0, 0, 0, 0, 0,               // 108 bytes of JSON + 4 spaces
            .. Encoding.ASCII.GetBytes(json), .. "    "u8,
            0x02, 0x01, 0, 0, 0, 0, 0, 0,           // 258 as int64
            0x00, 0x00, 0x80, 0x3F,                 // 1.0f
            0x00, 0x00, 0x00, 0xC0,                 // -2.0f
        ];
        Assert.Equal(expected, stream.ToArray());
    }

    [Fact]
    public void A_failing_save_leaves_the_previous_file_and_no_temporary_file()
    {
        string path = TempFile();
        StateDict.Save(new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(3) }, path);
        byte[] before = File.ReadAllBytes(path);

        // The second tensor fails after the first was converted and the temporary file opened.
        var failing = new FailingDictionary(("a", Tensor.Zeros(5)), ("b", Tensor.Zeros(7)));
        Assert.Throws<IOException>(() => StateDict.Save(failing, path));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
        Assert.Equal(new float[] { 1, 1, 1 }, StateDict.Load(path)["w"].ToArray<float>());
    }

    [Fact]
    public void A_null_tensor_is_rejected_by_name_and_the_target_is_untouched()
    {
        string path = TempFile();

        var exception = Assert.Throws<ArgumentException>(() => StateDict.Save(new Dictionary<string, Tensor> { ["bias"] = null! }, path));

        Assert.Contains("'bias'", exception.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Loading_a_dtype_Nabla_lacks_names_the_tensor_and_dtype()
    {
        // The golden fixture also holds F16, BF16, I16 and I8 tensors.
        var exception = Assert.Throws<InvalidDataException>(() => StateDict.Load(GoldenPath));

        Assert.Contains("tensor 'brain'", exception.Message);
        Assert.Contains("BF16", exception.Message);
    }

    [Fact]
    public void Supported_tensors_of_the_golden_fixture_convert_to_their_values()
    {
        var (entries, _) = SafeTensors.ReadFile(GoldenPath);
        var byName = entries.ToDictionary(entry => entry.Name);

        Assert.Equal(new[] { 0.5f, -1.25f, 3.0f, 1e-8f, -0.0f, 65504.0f }, StateDict.ToTensor(byName["weight"]).ToArray<float>());
        Assert.Equal(42L, StateDict.ToTensor(byName["steps"]).Item<long>());
        Assert.Equal(new[] { Math.PI, -2.5 }, StateDict.ToTensor(byName["double"]).ToArray<double>());
        Assert.Equal(new[] { 1, -2, 3, -4 }, StateDict.ToTensor(byName["indices"]).ToArray<int>());
        Assert.Equal([2, 2], StateDict.ToTensor(byName["pixels"]).Shape.ToArray());
        Assert.Equal(new[] { true, false, true }, StateDict.ToTensor(byName["mask"]).ToArray<bool>());
        Assert.Equal([0, 4], StateDict.ToTensor(byName["empty"]).Shape.ToArray());
    }

    [Fact]
    public void A_bool_byte_other_than_0_or_1_is_rejected()
    {
        var entry = new SafeTensorEntry("mask", "BOOL", [3], [1, 2, 0]);

        var exception = Assert.Throws<InvalidDataException>(() => StateDict.ToTensor(entry, "file.safetensors"));

        Assert.Contains("'mask'", exception.Message);
        Assert.Contains("0x02", exception.Message);
    }

    [Fact]
    public void A_dimension_beyond_int32_is_rejected()
    {
        var entry = new SafeTensorEntry("w", "F32", [0, 3_000_000_000], []);

        var exception = Assert.Throws<InvalidDataException>(() => StateDict.ToTensor(entry));

        Assert.Contains("dimension 1", exception.Message);
    }

    [Fact]
    public void CheckMatches_reports_the_first_mismatch_by_name()
    {
        var expected = new Dictionary<string, Tensor> { ["fc.weight"] = Tensor.Zeros(10, 4), ["fc.bias"] = Tensor.Zeros(10) };

        var shape = Assert.Throws<InvalidDataException>(() => StateDict.CheckMatches(expected,
            new Dictionary<string, Tensor> { ["fc.weight"] = Tensor.Zeros(10, 5), ["fc.bias"] = Tensor.Zeros(10) }, "model"));
        var missing = Assert.Throws<InvalidDataException>(() => StateDict.CheckMatches(expected,
            new Dictionary<string, Tensor> { ["fc.weight"] = Tensor.Zeros(10, 4) }, "model"));
        var unexpected = Assert.Throws<InvalidDataException>(() => StateDict.CheckMatches(expected,
            new Dictionary<string, Tensor> { ["fc.weight"] = Tensor.Zeros(10, 4), ["fc.bias"] = Tensor.Zeros(10), ["extra"] = Tensor.Zeros(1) }, "model"));
        var dtype = Assert.Throws<InvalidDataException>(() => StateDict.CheckMatches(expected,
            new Dictionary<string, Tensor> { ["fc.weight"] = Tensor.Zeros(10, 4), ["fc.bias"] = Tensor.Zeros([10], DType.Float64) }, "model"));

        Assert.Equal("model: size mismatch for 'fc.weight': shape [10, 5] in the file, [10, 4] expected.", shape.Message);
        Assert.Contains("missing key 'fc.bias'", missing.Message);
        Assert.Contains("unexpected key 'extra'", unexpected.Message);
        Assert.Contains("dtype mismatch for 'fc.bias'", dtype.Message);
        StateDict.CheckMatches(expected, new Dictionary<string, Tensor> { ["fc.bias"] = Tensor.Zeros(10) }, strict: false);
    }

    // Enumerates its first entry, then fails as a disk or a producer might.
    private sealed class FailingDictionary(params (string Name, Tensor Tensor)[] entries) : IReadOnlyDictionary<string, Tensor>
    {
        public Tensor this[string key] => entries.Single(entry => entry.Name == key).Tensor;
        public IEnumerable<string> Keys => entries.Select(entry => entry.Name);
        public IEnumerable<Tensor> Values => entries.Select(entry => entry.Tensor);
        public int Count => entries.Length;
        public bool ContainsKey(string key) => entries.Any(entry => entry.Name == key);

        public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value)
        {
            value = ContainsKey(key) ? this[key] : null;
            return value is not null;
        }

        public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
        {
            yield return new(entries[0].Name, entries[0].Tensor);
            throw new IOException("simulated failure while writing");
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
