using Nabla.Data;
using Nabla.Serialization;

namespace Nabla.Tests.Serialization;

public class CheckpointTests
{
    private static string TempFile() => Path.Combine(Directory.CreateTempSubdirectory("nabla-checkpoint-").FullName, "checkpoint.safetensors");

    private static Dictionary<string, Tensor> Model() => new()
    {
        ["fc1.weight"] = Tensor.Randn([4, 3], generator: new Generator(1)),
        ["fc1.bias"] = Tensor.Zeros(4),
        ["bn.num_batches_tracked"] = Tensor.From(17L),
    };

    private static Dictionary<string, Tensor> Optimizer() => new()
    {
        ["state.0.exp_avg"] = Tensor.Randn([4, 3], generator: new Generator(2)),
        ["state.0.step"] = Tensor.From(5.0f),
    };

    [Fact]
    public void Save_then_Load_returns_model_optimizer_and_metadata()
    {
        string path = TempFile();
        var metadata = new Dictionary<string, string>
        {
            ["epoch"] = "7",
            ["optimizer"] = """{"type":"Adam","param_groups":[{"lr":0.001,"betas":[0.9,0.999],"params":[0]}]}""",
        };

        Checkpoint.Save(path, Model(), Optimizer(), metadata);
        var (model, optimizer, loadedMetadata) = Checkpoint.Load(path);

        Assert.Equal(Model().Keys.Order(), model.Keys.Order());
        Assert.Equal(Model()["fc1.weight"].ToArray<float>(), model["fc1.weight"].ToArray<float>());
        Assert.Equal(17L, model["bn.num_batches_tracked"].Item<long>());
        Assert.Equal(Optimizer()["state.0.exp_avg"].ToArray<float>(), optimizer["state.0.exp_avg"].ToArray<float>());
        Assert.Equal(metadata, loadedMetadata);
        // Any safetensors reader sees the prefixed names and the format marker.
        var (entries, raw) = SafeTensors.ReadFile(path);
        Assert.Contains(entries, entry => entry.Name == "model.fc1.weight");
        Assert.Contains(entries, entry => entry.Name == "optimizer.state.0.step");
        Assert.Equal(Checkpoint.FormatVersion, raw[Checkpoint.FormatKey]);
    }

    [Fact]
    public void Generator_states_survive_a_checkpoint_and_resume_the_same_sequence()
    {
        var generator = new Generator(5);
        var loader = new DataLoader<Tensor[]>(new TensorDataset(Tensor.Arange(10)), batchSize: 10, shuffle: true, generator: new Generator(6));
        _ = loader.First();
        string path = TempFile();

        Checkpoint.Save(path, Model(), metadata: new Dictionary<string, string>
        {
            ["rng.generator"] = Checkpoint.EncodeState(generator.GetState()),
            ["rng.loader"] = Checkpoint.EncodeState(loader.GetState()),
        });
        long[] expectedOrder = loader.First()[0].ToArray<long>();
        ulong expectedDraw = generator.NextUInt64();

        var (_, _, metadata) = Checkpoint.Load(path);
        var restored = new Generator(0);
        restored.SetState(Checkpoint.DecodeState(metadata["rng.generator"]));
        var resumed = new DataLoader<Tensor[]>(new TensorDataset(Tensor.Arange(10)), batchSize: 10, shuffle: true, generator: new Generator(0));
        resumed.SetState(Checkpoint.DecodeState(metadata["rng.loader"]));

        Assert.Equal(expectedDraw, restored.NextUInt64());
        Assert.Equal(expectedOrder, resumed.First()[0].ToArray<long>());
    }

    [Fact]
    public void Load_with_the_expected_state_reports_the_first_mismatch_by_name()
    {
        string path = TempFile();
        Checkpoint.Save(path, Model(), Optimizer());
        var wider = Model();
        wider["fc1.weight"] = Tensor.Zeros(4, 5);

        var exception = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, wider, Optimizer()));

        Assert.Contains("model: size mismatch for 'fc1.weight': shape [4, 3] in the file, [4, 5] expected", exception.Message);
        Checkpoint.Load(path, Model(), Optimizer());
    }

    [Fact]
    public void A_plain_state_dict_is_not_a_checkpoint()
    {
        string path = TempFile();
        StateDict.Save(Model(), path);

        var exception = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));

        Assert.Contains(Checkpoint.FormatKey, exception.Message);
    }

    [Fact]
    public void A_tensor_without_a_known_prefix_is_rejected_by_name()
    {
        string path = TempFile();
        StateDict.Save(new Dictionary<string, Tensor> { ["model.w"] = Tensor.Zeros(2), ["scheduler.x"] = Tensor.Zeros(1) }, path,
            new Dictionary<string, string> { [Checkpoint.FormatKey] = Checkpoint.FormatVersion });

        var exception = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));

        Assert.Contains("'scheduler.x'", exception.Message);
    }

    [Fact]
    public void An_unknown_format_version_is_rejected()
    {
        string path = TempFile();
        StateDict.Save(Model(), path, new Dictionary<string, string> { [Checkpoint.FormatKey] = "99" });

        var exception = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));

        Assert.Contains("'99'", exception.Message);
    }

    [Fact]
    public void Overwriting_a_checkpoint_replaces_it_whole()
    {
        string path = TempFile();
        Checkpoint.Save(path, Model(), Optimizer(), new Dictionary<string, string> { ["epoch"] = "1" });

        Checkpoint.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(2) }, metadata: new Dictionary<string, string> { ["epoch"] = "2" });
        var (model, optimizer, metadata) = Checkpoint.Load(path);

        Assert.Equal(["w"], model.Keys);
        Assert.Empty(optimizer);
        Assert.Equal("2", metadata["epoch"]);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void The_format_key_is_reserved()
    {
        var exception = Assert.Throws<ArgumentException>(() =>
            Checkpoint.Save(new MemoryStream(), Model(), metadata: new Dictionary<string, string> { [Checkpoint.FormatKey] = "2" }));

        Assert.Equal("metadata", exception.ParamName);
    }

    [Fact]
    public void DecodeState_rejects_text_that_is_not_base64()
    {
        Assert.Equal(new byte[] { 1, 2, 3 }, Checkpoint.DecodeState(Checkpoint.EncodeState([1, 2, 3])));
        Assert.Throws<InvalidDataException>(() => Checkpoint.DecodeState("not base64!", "rng.loader"));
    }

    [Fact]
    public void Metadata_sections_keep_components_apart_and_come_back_whole()
    {
        var optimizerValues = new Dictionary<string, string> { ["param_groups.0.lr"] = "0.01", ["param_groups.0.params"] = "[0,1]" };
        var schedulerValues = new Dictionary<string, string> { ["last_epoch"] = "3" };
        var metadata = new Dictionary<string, string> { ["epoch"] = "3" };
        Checkpoint.AddSection(metadata, Checkpoint.OptimizerPrefix, optimizerValues);
        Checkpoint.AddSection(metadata, "scheduler.", schedulerValues);
        string path = TempFile();

        Checkpoint.Save(path, Model(), Optimizer(), metadata);
        var (_, _, loaded) = Checkpoint.Load(path);

        Assert.Equal("0.01", loaded["optimizer.param_groups.0.lr"]);
        Assert.Equal(optimizerValues, Checkpoint.Section(loaded, Checkpoint.OptimizerPrefix));
        Assert.Equal(schedulerValues, Checkpoint.Section(loaded, "scheduler."));
        Assert.Throws<ArgumentException>(() => Checkpoint.AddSection(metadata, "scheduler.", schedulerValues));
    }
}
