using System.Text.Json;
using Nabla.Cli;
using Nabla.Serialization;
using Nabla.Tests.TestSupport;
using Nabla.Text;

namespace Nabla.Tests.Cli;

// nabla train charlm / nabla generate charlm: tiny GRUs on the first characters of The Time Machine.
[Collection(DefaultGeneratorCollection.Name)]
public sealed class CharLmTests() : CliTestBase("nabla-charlm")
{
    private static readonly string[] TinyGru =
        ["train", "charlm", "--cell", "gru", "--hidden", "32", "--steps", "10", "--batch-size", "8", "--max-tokens", "1000", "--epochs", "2", "--seed", "1"];

    [Fact]
    public void Train_charlm_json_reports_perplexity_and_checkpoints_the_model_with_its_vocabulary()
    {
        var (exitCode, stdout, stderr) = Run([.. TinyGru, "--checkpoint", directory, "--json"]);

        Assert.True(exitCode == 0, stderr);
        string line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var root = JsonDocument.Parse(line).RootElement;
        Assert.Equal("charlm", root.GetProperty("model").GetString());
        Assert.Equal("gru", root.GetProperty("cell").GetString());
        Assert.Equal(2, root.GetProperty("epochs").GetInt32());
        // Better than guessing uniformly among the 28 characters, worse than a perfect model.
        Assert.InRange(root.GetProperty("perplexity").GetDouble(), 1.0, 28.0);
        Assert.True(root.GetProperty("tokens_per_s").GetDouble() > 0);
        Assert.True(File.Exists(root.GetProperty("plot").GetString()), "the plot exists");
        Assert.Contains("epoch 2/2", stderr);
        Assert.Contains("time traveller", stderr);

        CheckpointData saved = Checkpoint.Load(CheckpointStore.PathIn(directory));
        Assert.Equal("charlm", saved.Metadata["model"]);
        Assert.Equal("32", saved.Metadata["hidden"]);
        string[] tokens = JsonSerializer.Deserialize<string[]>(saved.Metadata["vocab"])!;
        Assert.Equal(TimeMachine.LoadCorpus(1000).Vocab.IdxToToken, tokens);
        var (_, vocab, _) = CharLmCheckpoint.Load(directory);
        Assert.Equal(tokens, vocab.IdxToToken);
    }

    [Fact]
    public void Generate_from_a_trained_checkpoint_continues_the_prefix_by_the_requested_length()
    {
        Assert.Equal(0, Run([.. TinyGru, "--checkpoint", directory]).ExitCode);

        var greedy = Run("generate", "charlm", "--checkpoint", directory, "--prefix", "time traveller", "--length", "40");
        var sampled = Run("generate", "charlm", "--checkpoint", directory, "--prefix", "time traveller", "--length", "40", "--temperature", "1", "--top-k", "5", "--seed", "2");
        var again = Run("generate", "charlm", "--checkpoint", directory, "--prefix", "time traveller", "--length", "40", "--temperature", "1", "--top-k", "5", "--seed", "2");

        Assert.True(greedy.ExitCode == 0, greedy.Stderr);
        Assert.True(sampled.ExitCode == 0, sampled.Stderr);
        foreach (string text in new[] { greedy.Stdout, sampled.Stdout })
        {
            string line = text.TrimEnd('\n', '\r');
            Assert.StartsWith("time traveller", line);
            Assert.Equal("time traveller".Length + 40, line.Length);
            Assert.Matches("^[a-z ]+$", line);
        }
        Assert.Equal(sampled.Stdout, again.Stdout); // seeded
        // Greedy generation is d2l's predict_ch8 on the restored model.
        var (model, vocab, _) = CharLmCheckpoint.Load(directory);
        Assert.Equal(LanguageModel.Predict("time traveller", 40, model, vocab), greedy.Stdout.TrimEnd('\n', '\r'));
    }

    [Fact]
    public void Sample_with_top_k_1_is_greedy_whatever_the_temperature()
    {
        Generator.ManualSeed(4);
        var (_, vocab) = TimeMachine.LoadCorpus(500);
        var model = CharLmCheckpoint.Build("lstm", vocab.Count, hidden: 16, layers: 2);

        string greedy = LanguageModel.Predict("the", 20, model, vocab);

        Assert.Equal(greedy, LanguageModel.Sample("the", 20, model, vocab, temperature: 3, topK: 1, generator: new Generator(9)));
        Assert.Equal(greedy, LanguageModel.Sample("the", 20, model, vocab, temperature: 0));
    }

    [Fact]
    public void Train_charlm_with_an_unknown_cell_names_the_cells()
    {
        var (exitCode, _, stderr) = Run("train", "charlm", "--cell", "transformer");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("--cell: unknown cell 'transformer'. Cells: rnn, gru, lstm.", stderr);
    }

    [Fact]
    public void Resume_continues_bit_for_bit_as_a_run_that_never_stopped()
    {
        // Adam: the optimizer's moments must come back too; sequential sampling draws one offset per epoch.
        string[] recipe = ["train", "charlm", "--cell", "lstm", "--hidden", "16", "--steps", "8", "--batch-size", "4", "--max-tokens", "600",
            "--optimizer", "adam", "--lr", "0.01", "--seed", "3"];
        string straight = Path.Combine(directory, "straight"), resumed = Path.Combine(directory, "resumed");
        Assert.Equal(0, Run([.. recipe, "--epochs", "4", "--checkpoint", straight]).ExitCode);
        Assert.Equal(0, Run([.. recipe, "--epochs", "2", "--checkpoint", resumed]).ExitCode);

        var (exitCode, stdout, stderr) = Run("train", "charlm", "--epochs", "4", "--checkpoint", resumed, "--resume");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains($"Resuming {resumed} after epoch 2.", stdout);
        Assert.Contains("epoch 4/4", stdout);
        CheckpointData expected = Checkpoint.Load(CheckpointStore.PathIn(straight));
        CheckpointData actual = Checkpoint.Load(CheckpointStore.PathIn(resumed));
        Assert.Equal("4", actual.Metadata["epoch"]);
        Assert.Equal(expected.Metadata["perplexity"], actual.Metadata["perplexity"]);
        Assert.Equal(expected.Model.Keys.Order(), actual.Model.Keys.Order());
        foreach (var (name, tensor) in expected.Model)
        {
            Assert.Equal(tensor.ToArray<float>(), actual.Model[name].ToArray<float>());
        }
        Assert.Equal(expected.Optimizer.Keys.Order(), actual.Optimizer.Keys.Order());
    }

    [Fact]
    public void Resume_without_a_checkpoint_names_the_missing_file()
    {
        var (exitCode, _, stderr) = Run("train", "charlm", "--checkpoint", Path.Combine(directory, "none"), "--resume");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("--resume: no checkpoint in", stderr);
    }

    [Theory]
    [InlineData(new[] { "train", "charlm", "--width", "0.5" }, "--width does not apply to charlm")]
    [InlineData(new[] { "train", "mlp", "--hidden", "64" }, "--hidden applies to charlm and seq2seq only")]
    [InlineData(new[] { "train", "charlm", "--hidden", "0" }, "--hidden must be at least 1")]
    [InlineData(new[] { "generate", "lenet", "--checkpoint", "x" }, "Unknown model 'lenet' for generate")]
    [InlineData(new[] { "generate", "charlm", "--checkpoint", "/nonexistent/nabla" }, "nabla: No checkpoint in /nonexistent/nabla")]
    public void Charlm_argument_errors_are_one_clear_message(string[] args, string message)
    {
        var (exitCode, _, stderr) = Run(args);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void Models_lists_charlm_and_the_other_commands_models()
    {
        var (exitCode, stdout, _) = Run("models");

        Assert.Equal(0, exitCode);
        Assert.Contains("charlm", stdout);
        Assert.Contains("The Time Machine", stdout);
        Assert.Contains("seq2seq", stdout);
        Assert.Contains("`nabla train bert`", stdout);
        Assert.Contains("`nabla train gan --kind dcgan|wgan-gp|cgan`", stdout);
    }
}
