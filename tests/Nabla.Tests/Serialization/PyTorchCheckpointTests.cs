using Nabla.NN;
using Nabla.Serialization;
using Nabla.Vision.Models;

namespace Nabla.Tests.Serialization;

/// <summary>
/// StateDict.LoadPyTorch on files that Debian's PyTorch 1.13 wrote (tests/fixtures/make_pytorch_checkpoint_fixtures.py):
/// small models' state dicts loaded into Nabla's matching models reproduce PyTorch's outputs; crafted
/// views, dtypes and shared storages come back as PyTorch holds them; code-running pickles are refused.
/// </summary>
public class PyTorchCheckpointTests
{
    private const double Rtol = 1e-5, Atol = 1e-6;

    internal static string FixturePath(string file) => Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch", file);

    private static void AssertClose(Tensor expected, Tensor actual, string what, double rtol = Rtol, double atol = Atol)
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        double[] e = expected.ToArray<double>(), a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - a[i]) <= atol + rtol * Math.Abs(e[i]), $"{what}: element {i} is {a[i]:G9}, PyTorch gives {e[i]:G9}");
        }
    }

    private static Dictionary<string, Tensor> LoadInto(Module model, string file)
    {
        Dictionary<string, Tensor> stateDict = StateDict.LoadPyTorch(FixturePath(file));
        Assert.Equal(model.StateDict().Keys, stateDict.Keys); // PyTorch's names, in PyTorch's order
        model.LoadStateDict(stateDict);
        model.Eval();
        return StateDict.LoadPyTorch(FixturePath(Path.ChangeExtension(file, ".io.pt")));
    }

    [Fact]
    public void LeNet_saved_in_float16_loads_as_float32_and_matches_pytorch()
    {
        var model = LeNet.Create(new Generator(0));
        var io = LoadInto(model, "lenet_f16.pt");
        Assert.Equal(DType.Float32, StateDict.LoadPyTorch(FixturePath("lenet_f16.pt"))["0.weight"].DType);
        using (Autograd.NoGrad())
        {
            AssertClose(io["output"], model.Call(io["input"]), "LeNet logits");
        }
    }

    [Fact]
    public void Mlp_saved_in_the_legacy_format_matches_pytorch()
    {
        var model = Mlp.Create(hidden: 16, inputs: 64, generator: new Generator(0));
        var io = LoadInto(model, "mlp_legacy.pt");
        using (Autograd.NoGrad())
        {
            AssertClose(io["output"], model.Call(io["input"]), "MLP logits");
        }
    }

    [Fact]
    public void ResNet_basic_block_with_batch_norm_statistics_matches_pytorch_in_eval_mode()
    {
        var model = new BasicBlock(4, 8, stride: 2);
        var io = LoadInto(model, "resnet_block.pt");
        Assert.Equal(7L, model.Bn1.StateDict()["num_batches_tracked"].Item<long>());
        using (Autograd.NoGrad())
        {
            AssertClose(io["output"], model.Call(io["input"]), "block output");
        }
    }

    [Fact]
    public void Two_layer_GRU_matches_pytorch()
    {
        var model = new GRU(5, 6, numLayers: 2);
        var io = LoadInto(model, "gru.pt");
        using (Autograd.NoGrad())
        {
            var (output, hN) = model.Call(io["input"], null);
            AssertClose(io["output"], output, "GRU output");
            AssertClose(io["h_n"], hN, "GRU h_n");
        }
    }

    [Fact]
    public void Bidirectional_batch_first_LSTM_matches_pytorch()
    {
        var model = new LSTM(5, 4, batchFirst: true, bidirectional: true);
        var io = LoadInto(model, "lstm.pt");
        using (Autograd.NoGrad())
        {
            var (output, (hN, cN)) = model.Call(io["input"], null);
            AssertClose(io["output"], output, "LSTM output");
            AssertClose(io["h_n"], hN, "LSTM h_n");
            AssertClose(io["c_n"], cN, "LSTM c_n");
        }
    }

    [Theory]
    [InlineData("views.pt")]
    [InlineData("views_legacy.pt")]
    public void Crafted_views_and_dtypes_equal_pytorchs_contiguous_copies(string file)
    {
        var loaded = StateDict.LoadPyTorch(FixturePath(file));
        var expected = StateDict.LoadPyTorch(FixturePath("views.expected.pt"));
        Assert.Equal(expected.Keys, loaded.Keys);
        foreach (var (name, tensor) in expected)
        {
            Assert.True(tensor.DType == loaded[name].DType, $"{name}: {loaded[name].DType}, expected {tensor.DType}");
            AssertClose(tensor, loaded[name], name, rtol: 0, atol: 0);
        }
        // float16 and bfloat16 widen exactly (0.333 rounds to the nearest 16-bit value first).
        Assert.Equal([1f, -2f, (float)(Half)0.333f, 65504f, (float)(Half)6e-8f], loaded["half"].ToArray<float>());
        Assert.Equal(BitConverter.UInt32BitsToSingle(0x3EAA0000), loaded["bfloat16"].ToArray<float>()[2]);
        Assert.Equal(0, loaded["scalar"].Rank);
        Assert.Equal([0, 3], loaded["empty"].Shape.ToArray());
        Assert.False(loaded.ContainsKey("nested.step")); // numbers and strings are skipped
    }

    [Fact]
    public void Views_share_their_storage_with_pytorchs_offsets_and_strides()
    {
        var loaded = StateDict.LoadPyTorch(FixturePath("views.pt"));
        Tensor baseTensor = loaded["base"];
        foreach (string view in new[] { "row", "column", "transposed", "block", "strided" })
        {
            Assert.True(loaded[view].SharesStorageWith(baseTensor), $"{view} does not share base's storage");
        }
        Assert.False(loaded["double"].SharesStorageWith(baseTensor));
        AssertView(loaded["row"], 5, [1], "row");
        AssertView(loaded["column"], 2, [5], "column");
        AssertView(loaded["transposed"], 0, [1, 5], "transposed");
        AssertView(loaded["block"], 11, [5, 1], "block");
        AssertView(loaded["strided"], 3, [4], "strided");
        Assert.True(loaded["long_view"].SharesStorageWith(loaded["long"]));
        AssertView(loaded["half_view"], 1, [3], "half_view"); // float16 widened in place of its storage
    }

    private static void AssertView(Tensor view, int offset, int[] strides, string name)
    {
        Assert.True(view.StorageOffset == offset, $"{name}: offset {view.StorageOffset}, expected {offset}");
        Assert.Equal(strides, view.Strides);
    }

    [Theory]
    [InlineData("malicious_os_system.pt", "posix.system")]
    [InlineData("malicious_eval.pt", "__builtin__.eval")] // protocol 2 spells builtins as Python 2 did
    [InlineData("whole_module.pt", "torch.nn.modules.linear.Linear")]
    public void A_pickle_naming_a_foreign_global_is_refused_naming_it_and_runs_nothing(string file, string global)
    {
        string marker = Path.Combine(Environment.CurrentDirectory, "nabla_pwned_marker");
        var exception = Assert.Throws<InvalidDataException>(() => StateDict.LoadPyTorch(FixturePath(file)));
        Assert.Contains($"'{global}'", exception.Message);
        Assert.Contains("nothing was executed", exception.Message);
        Assert.Contains(file, exception.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void A_state_dict_of_other_shapes_fails_naming_the_key()
    {
        var model = Mlp.Create(hidden: 17, inputs: 64, generator: new Generator(0));
        var exception = Assert.Throws<ShapeException>(() => model.LoadStateDict(StateDict.LoadPyTorch(FixturePath("mlp_legacy.pt"))));
        Assert.Contains("size mismatch for 1.weight", exception.Message);
        Assert.Contains("[16, 64]", exception.Message);
    }

    [Theory]
    [InlineData("gru.pt")]
    [InlineData("mlp_legacy.pt")]
    public void A_truncated_checkpoint_fails_with_one_clear_error(string file)
    {
        byte[] bytes = File.ReadAllBytes(FixturePath(file));
        var exception = Assert.Throws<InvalidDataException>(() => StateDict.LoadPyTorch(new MemoryStream(bytes[..(bytes.Length * 2 / 3)])));
        Assert.Contains("PyTorch checkpoint", exception.Message);
    }

    // A torch.save-style archive holding the given data.pkl and no storages.
    private static MemoryStream ArchiveWith(byte[] pickle)
    {
        var packed = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(packed, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            using Stream stream = archive.CreateEntry("archive/data.pkl").Open();
            stream.Write(pickle);
        }
        packed.Position = 0;
        return packed;
    }

    [Fact]
    public void A_dict_that_contains_itself_is_refused()
    {
        // {'a': <the dict itself>}: PROTO 2, EMPTY_DICT, BINPUT 0, BINUNICODE 'a', BINGET 0, SETITEM, STOP.
        byte[] pickle = [0x80, 2, (byte)'}', (byte)'q', 0, (byte)'X', 1, 0, 0, 0, (byte)'a', (byte)'h', 0, (byte)'s', (byte)'.'];
        var exception = Assert.Throws<InvalidDataException>(() => StateDict.LoadPyTorch(ArchiveWith(pickle)));
        Assert.Contains("appears twice", exception.Message);
    }

    [Fact]
    public void Lists_that_each_hold_the_previous_twice_are_refused_without_walking_2_to_the_30_paths()
    {
        // {'x': L30} with L0 = [] and L(i) = [L(i-1), L(i-1)]: 30 small opcodes, 2^30 paths (within the nesting limit of 32).
        var pickle = new List<byte> { 0x80, 2, (byte)'}', (byte)'X', 1, 0, 0, 0, (byte)'x', (byte)']', (byte)'q', 0, (byte)'0' };
        for (byte i = 1; i <= 30; i++)
        {
            pickle.AddRange([(byte)'(', (byte)'h', (byte)(i - 1), (byte)'h', (byte)(i - 1), (byte)'l', (byte)'q', i, (byte)'0']);
        }
        pickle.AddRange([(byte)'h', 30, (byte)'s', (byte)'.']);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var exception = Assert.Throws<InvalidDataException>(() => StateDict.LoadPyTorch(ArchiveWith([.. pickle])));
        Assert.Contains("appears twice", exception.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
    }

    [Fact]
    public void A_file_that_is_no_checkpoint_is_named_so()
    {
        var exception = Assert.Throws<InvalidDataException>(() => StateDict.LoadPyTorch(new MemoryStream("hello, world"u8.ToArray())));
        Assert.Contains("not a PyTorch checkpoint", exception.Message);
    }

    [Fact]
    public void A_stream_that_cannot_seek_loads_like_the_file()
    {
        byte[] bytes = File.ReadAllBytes(FixturePath("gru.pt"));
        var loaded = StateDict.LoadPyTorch(new TestSupport.ForwardOnlyStream(bytes));
        AssertClose(StateDict.LoadPyTorch(FixturePath("gru.pt"))["weight_hh_l1"], loaded["weight_hh_l1"], "weight_hh_l1", 0, 0);
    }

    [Fact]
    public void Safetensors_F16_and_BF16_load_as_float32_on_request_with_the_metadata_kept()
    {
        SafeTensorEntry[] entries =
        [
            new("half", "F16", [3], [.. BitConverter.GetBytes((Half)1.0f), .. BitConverter.GetBytes((Half)(-2.0f)), .. BitConverter.GetBytes((Half)0.333f)]),
            new("brain", "BF16", [2], [0x80, 0x3F, 0x60, 0xC0]),
            new("plain", "F32", [1], BitConverter.GetBytes(4.5f)),
        ];
        var stream = new MemoryStream();
        SafeTensors.Write(stream, entries, new Dictionary<string, string> { ["format"] = "pt", ["producer"] = "other tool" });

        stream.Position = 0;
        var exception = Assert.Throws<InvalidDataException>(() => StateDict.Load(stream, out _));
        Assert.Contains("halfToFloat32", exception.Message);

        stream.Position = 0;
        var loaded = StateDict.Load(stream, out var metadata, halfToFloat32: true);
        Assert.Equal([1f, -2f, (float)(Half)0.333f], loaded["half"].ToArray<float>());
        Assert.Equal([1f, -3.5f], loaded["brain"].ToArray<float>());
        Assert.Equal(DType.Float32, loaded["brain"].DType);
        Assert.Equal([4.5f], loaded["plain"].ToArray<float>());
        Assert.Equal("other tool", metadata["producer"]);
        Assert.Equal("pt", metadata["format"]);
    }
}
