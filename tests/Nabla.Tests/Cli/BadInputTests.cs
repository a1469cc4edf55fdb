using Nabla.Cli;
using Nabla.Serialization;
using Nabla.Tests.TestSupport;
using Nabla.Vision;

namespace Nabla.Tests.Cli;

// Hostile and careless command lines: each ends with one line on stderr that says what to do, a non-zero
// exit and no stack trace, and leaves what was on disk as it was.
[Collection(DefaultGeneratorCollection.Name)]
public sealed class BadInputTests() : CliTestBase("nabla-bad-input")
{
    private static readonly string[] Softmax = ["train", "softmax", "--data", "sample", "--limit", "300", "--batch-size", "100"];

    private static readonly string[] TinyCharLm =
        ["train", "charlm", "--hidden", "8", "--steps", "10", "--batch-size", "8", "--max-tokens", "1000", "--seed", "1"];

    private static void AssertOneLineError((int ExitCode, string Stdout, string Stderr) result, string expected)
    {
        Assert.True(result.ExitCode != 0, $"exit 0; stdout: {result.Stdout}");
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("nabla: ", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("Exception", line);
        Assert.DoesNotContain('\0', line);
    }

    private string Trained(string name = "run")
    {
        string run = Path.Combine(directory, name);
        var result = Run([.. Softmax, "--epochs", "1", "--checkpoint", run]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return run;
    }

    [Fact]
    public void A_checkpoint_of_another_run_is_replaced_only_with_overwrite()
    {
        string run = Trained();
        byte[] before = File.ReadAllBytes(CheckpointStore.PathIn(run));

        AssertOneLineError(Run(["train", "mlp", "--data", "sample", "--limit", "300", "--epochs", "1", "--checkpoint", run]), "--overwrite");
        AssertOneLineError(Run([.. TinyCharLm, "--epochs", "1", "--checkpoint", run]), "--overwrite");
        Assert.Equal(before, File.ReadAllBytes(CheckpointStore.PathIn(run)));

        var replaced = Run(["train", "mlp", "--data", "sample", "--limit", "300", "--epochs", "1", "--checkpoint", run, "--overwrite"]);
        Assert.True(replaced.ExitCode == 0, replaced.Stderr);
        Assert.Equal("mlp", Checkpoint.Load(CheckpointStore.PathIn(run)).Metadata["model"]);
        AssertOneLineError(Run(["train", "mlp", "--checkpoint", run, "--overwrite", "--resume"]), "give one of them");
    }

    [Fact]
    public void Zero_epochs_with_a_checkpoint_writes_the_initial_model_which_resumes()
    {
        string run = Path.Combine(directory, "zero");

        var result = Run([.. Softmax, "--epochs", "0", "--checkpoint", run]);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains($"Checkpoint: {CheckpointStore.PathIn(run)}", result.Stdout);
        var (_, state) = CheckpointStore.Read(run);
        Assert.Equal(0, state.CompletedEpochs);
        var resumed = Run(["train", "softmax", "--epochs", "1", "--checkpoint", run, "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(1, CheckpointStore.Read(run).State.CompletedEpochs);
    }

    [Theory]
    [InlineData(0, 10, "The training set has no images")]
    [InlineData(10, 0, "The test set has no images")]
    public void A_data_set_without_images_is_refused(int trainCount, int testCount, string message)
    {
        string data = Path.Combine(directory, "data");
        Directory.CreateDirectory(data);
        WriteIdx(Path.Combine(data, MnistFiles.TrainImages), trainCount, images: true);
        WriteIdx(Path.Combine(data, MnistFiles.TrainLabels), trainCount, images: false);
        WriteIdx(Path.Combine(data, MnistFiles.TestImages), testCount, images: true);
        WriteIdx(Path.Combine(data, MnistFiles.TestLabels), testCount, images: false);

        AssertOneLineError(Run("train", "softmax", "--data", data, "--epochs", "1"), message);
    }

    private static void WriteIdx(string path, int count, bool images)
    {
        using var writer = new BinaryWriter(File.Create(path));
        void BigEndian(int value) => writer.Write(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value));
        BigEndian(images ? 0x0803 : 0x0801);
        BigEndian(count);
        if (images)
        {
            BigEndian(28);
            BigEndian(28);
        }
        writer.Write(new byte[count * (images ? 28 * 28 : 1)]);
    }

    [Fact]
    public void A_diverging_run_stops_with_one_line_and_keeps_the_last_good_checkpoint()
    {
        string run = Trained();
        byte[] good = File.ReadAllBytes(CheckpointStore.PathIn(run));

        var diverged = Run(["train", "softmax", "--epochs", "3", "--lr", "1e40", "--checkpoint", run, "--resume"]);
        // Under --json the progress goes to stderr too; the error is its last line and stdout has no JSON.
        var json = Run(["train", "softmax", "--epochs", "3", "--lr", "1e40", "--checkpoint", run, "--resume", "--json"]);

        AssertOneLineError(diverged, "training diverged in epoch 2, batch 2 of 3: the loss is NaN; try a lower --lr.");
        Assert.Contains($"{CheckpointStore.PathIn(run)} is left as it was, the last good state.", diverged.Stderr);
        Assert.DoesNotContain("epoch 2/3", diverged.Stdout);
        Assert.Equal(1, json.ExitCode);
        Assert.Equal("", json.Stdout);
        Assert.StartsWith("nabla: training diverged in epoch 2", json.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Equal(good, File.ReadAllBytes(CheckpointStore.PathIn(run)));
    }

    [Fact]
    public void A_diverging_charlm_stops_with_one_line_naming_the_epoch()
    {
        var diverged = Run([.. TinyCharLm, "--epochs", "2", "--lr", "1e30", "--clip", "1e30"]);

        AssertOneLineError(diverged, "training diverged in epoch 1, batch");
    }

    [Fact]
    public void A_charlm_batch_larger_than_the_corpus_allows_is_refused_up_front()
    {
        // d2l's 10,000 characters in 35 steps: sequential partitioning may start 35 characters in, leaving 284 rows at most.
        AssertOneLineError(Run("train", "charlm", "--batch-size", "285", "--epochs", "1"), "--batch-size 285: 10,000 characters in subsequences of 35 steps make batches of at most 284");
        Assert.Equal(284, CharLmRun.MaxBatchSize(10_000, 35, randomSampling: false));
        Assert.Equal(284, CharLmRun.MaxBatchSize(10_000, 35, randomSampling: true));
    }

    public static TheoryData<string, string, string> EditedMetadata => new()
    {
        { "history", "[{\"Epoch\": 1,", "metadata 'history' is not valid JSON" },
        { "partial_epoch", "{", "metadata 'partial_epoch' is not valid JSON" },
        { "epoch", "abc", "metadata 'epoch' is 'abc', not a whole number, 0 or more" },
        { "epoch", "-5", "metadata 'epoch' is '-5', not a whole number, 0 or more" },
        { "epoch", "2", "metadata 'epoch' is 2 but 'history' holds 1 epochs" },
        { "batch_size", "0", "metadata 'batch_size' is '0', not a whole number, at least 1" },
        { "rng.loader", "AAAA", "metadata 'rng.loader' holds 3 bytes; a random generator's state has 32" },
        { "rng.default", "not base64!", "metadata 'rng.default' is 'not base64!', not a random generator's state" },
        { "history", "null", "metadata 'history' is 'null', not a JSON value other than null" },
        { "optimizer.param_groups.0.lr", "[oops", "checkpoint.safetensors: the optimizer's state (metadata 'optimizer.…') cannot be restored (" },
    };

    [Theory]
    [MemberData(nameof(EditedMetadata))]
    public void Hand_edited_checkpoint_metadata_is_a_one_line_error_naming_the_key(string key, string value, string message)
    {
        string run = Trained();
        Edit(run, metadata => metadata[key] = value);

        AssertOneLineError(Run("train", "softmax", "--epochs", "2", "--checkpoint", run, "--resume"), message);
    }

    [Theory]
    [InlineData("vocab", "[\"<unk>\", ", "metadata 'vocab' is not valid JSON")]
    [InlineData("hidden", "-8", "metadata 'hidden' is '-8', not a whole number, at least 1")]
    [InlineData("perplexity", "NaN]", "metadata 'perplexity' is not valid JSON")]
    [InlineData("rng.data", "AAAAAAAA", "metadata 'rng.data' holds 6 bytes")]
    public void Hand_edited_charlm_metadata_is_a_one_line_error_naming_the_key(string key, string value, string message)
    {
        Assert.Equal(0, Run([.. TinyCharLm, "--epochs", "1", "--checkpoint", directory]).ExitCode);
        Edit(directory, metadata => metadata[key] = value);

        var result = key is "vocab" or "hidden"
            ? Run("generate", "charlm", "--checkpoint", directory, "--length", "5")
            : Run(["train", "charlm", "--epochs", "2", "--checkpoint", directory, "--resume"]);

        AssertOneLineError(result, message);
    }

    private static void Edit(string run, Action<Dictionary<string, string>> edit)
    {
        string path = CheckpointStore.PathIn(run);
        CheckpointData data = Checkpoint.Load(path);
        var metadata = data.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
        edit(metadata);
        Checkpoint.Save(path, data.Model, data.Optimizer, metadata);
    }

    [Fact]
    public void A_checkpoint_of_the_other_kind_of_model_is_named_as_such()
    {
        string image = Trained();
        string charLm = Path.Combine(directory, "charlm");
        Assert.Equal(0, Run([.. TinyCharLm, "--epochs", "1", "--checkpoint", charLm]).ExitCode);

        AssertOneLineError(Run("train", "charlm", "--epochs", "2", "--checkpoint", image, "--resume"), "holds a 'softmax' image model, not charlm");
        AssertOneLineError(Run("generate", "charlm", "--checkpoint", image), "holds a 'softmax' image model, not charlm");
        AssertOneLineError(Run("eval", "softmax", "--checkpoint", charLm, "--data", "sample"), "holds the character language model (charlm), not an image model");
        AssertOneLineError(Run("predict", "softmax", "--checkpoint", charLm, "--grid", Path.Combine(directory, "g.png")), "nabla generate charlm");
        AssertOneLineError(Run("train", "softmax", "--epochs", "2", "--checkpoint", charLm, "--resume"), "not an image model");
    }

    [Fact]
    public void Predict_refuses_a_truncated_png_an_endless_device_and_a_directory_in_one_line()
    {
        string run = Trained();
        var test = FashionMnist.LoadSample(train: false);
        string png = Path.Combine(directory, "shirt.png");
        GrayPng.Write(png, test.Images.AsSpan(0, 28 * 28), 28, 28);
        string truncated = Path.Combine(directory, "truncated.png");
        File.WriteAllBytes(truncated, File.ReadAllBytes(png)[..40]);

        AssertOneLineError(Run("predict", "softmax", "--checkpoint", run, "--image", truncated), $"{truncated}: not a readable image (corrupt or truncated)");
        AssertOneLineError(Run("predict", "softmax", "--checkpoint", run, "--image", directory), "is a directory");
        AssertOneLineError(Run("predict", "softmax", "--checkpoint", run, "--image", Path.Combine(directory, "none.png")), "no such file");
        if (File.Exists("/dev/zero"))
        {
            AssertOneLineError(Run("predict", "softmax", "--checkpoint", run, "--image", "/dev/zero"), "larger than 64 MiB");
        }
        Assert.Equal(0, Run("predict", "softmax", "--checkpoint", run, "--image", png).ExitCode);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    public void Predict_top_below_one_is_refused(string top)
    {
        var result = Run("predict", "softmax", "--checkpoint", directory, "--image", "x.png", "--top", top);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("nabla: --top must be at least 1.", result.Stderr);
    }

    [Fact]
    public void Predict_grid_is_written_as_png_and_another_extension_is_refused()
    {
        string run = Trained();
        string png = Path.Combine(directory, "grid.png");
        string jpeg = Path.Combine(directory, "grid.jpg");

        Assert.Equal(0, Run("predict", "softmax", "--checkpoint", run, "--grid", png, "--count", "4").ExitCode);

        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(png)[..4]);
        AssertOneLineError(Run("predict", "softmax", "--checkpoint", run, "--grid", jpeg, "--count", "4"), "name the file .png");
        Assert.False(File.Exists(jpeg));
    }

    [Fact]
    public void A_value_of_the_wrong_kind_is_said_in_words_with_the_usage_of_its_command_only()
    {
        var (exitCode, stdout, stderr) = Run("train", "softmax", "--epochs", "ten", "--lr", "fast");

        Assert.Equal(1, exitCode);
        Assert.Equal("", stdout);
        Assert.Equal(
            [
                "nabla: --epochs: 'ten' is not a whole number.",
                "nabla: --lr: 'fast' is not a number.",
                "Usage: nabla train <model> [options]",
                "Run `nabla train --help` for the options.",
            ],
            stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd('\r')));
        Assert.DoesNotContain("System.", stderr);
        Assert.Contains("nabla: did you mean --epochs?", Run("train", "lenet", "--epoch", "3").Stderr);
        var unknown = Run("trian", "lenet");
        Assert.Contains("Commands: train, eval, predict, generate, translate, models, summary.", unknown.Stderr);
    }

    [Fact]
    public void A_finished_cosine_schedule_is_not_extended_by_resume()
    {
        string run = Path.Combine(directory, "cosine");
        Assert.Equal(0, Run([.. Softmax, "--epochs", "2", "--lr-schedule", "cosine", "--checkpoint", run]).ExitCode);

        AssertOneLineError(Run("train", "softmax", "--epochs", "4", "--checkpoint", run, "--resume"),
            "anneals its learning rate to 0 over 2 epochs (--lr-schedule cosine) and cannot be resumed to another length");
        // Without --epochs a resumed cosine run keeps its length (here: nothing left to train).
        var resumed = Run("train", "softmax", "--checkpoint", run, "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("2 epochs", resumed.Stdout);
        Assert.Equal(2, CheckpointStore.Read(run).State.CompletedEpochs);
    }

    [Fact]
    public void Lenet_on_the_whole_sample_takes_the_sample_recipe_and_says_so()
    {
        // One batch is enough to see the recipe in the header (the stop saves a checkpoint, exit 130).
        var (exitCode, stdout, stderr) = Run("train", "lenet", "--data", "sample", "--stop-after-batches", "1", "--checkpoint", directory);

        Assert.True(exitCode == TrainRun.InterruptedExitCode, stderr);
        Assert.Contains("On the sample lenet trains 30 epochs of batch 64 (2,820 steps), not the course's 10 epochs of batch 256, which make 2,350 steps on the full 60,000 images but only 240 here", stdout);
        Assert.Contains("30 epochs, batch 64, SGD lr 0.9", stdout);
        Assert.Equal(30, ModelCatalog.Get("lenet").SampleRecipe!.Epochs);
        Assert.Null(ModelCatalog.Get("mlp").SampleRecipe);
    }
}
