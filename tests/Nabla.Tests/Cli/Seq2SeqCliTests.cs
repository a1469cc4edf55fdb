using System.Text.Json;
using Nabla.Cli;
using Nabla.Serialization;
using Nabla.Tests.TestSupport;
using Nabla.Text.Seq2Seq;

namespace Nabla.Tests.Cli;

// nabla train seq2seq / nabla translate: tiny models on the first pairs of fra-eng, a few epochs.
[Collection(DefaultGeneratorCollection.Name)]
public sealed class Seq2SeqCliTests() : CliTestBase("nabla-seq2seq")
{
    private static string[] Tiny(string arch, int epochs = 3) =>
        ["train", "seq2seq", "--arch", arch, "--pairs", "80", "--hidden", "16", "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", "1"];

    [Fact]
    public void Train_seq2seq_json_reports_loss_course_examples_and_corpus_bleu_and_checkpoints_both_vocabularies()
    {
        var (exitCode, stdout, stderr) = Run([.. Tiny("gru"), "--checkpoint", directory, "--json"]);

        Assert.True(exitCode == 0, stderr);
        Assert.StartsWith("Training seq2seq --arch gru (the course's recipe unless overridden): GRU, 2 layers, embed 32, hidden 16, dropout 0.1; first 80 pairs of fra-eng, 10 steps; 3 epochs, batch 64, Adam lr 0.005, clip 1, seed 1", stderr);
        string line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var root = JsonDocument.Parse(line).RootElement;
        Assert.Equal("seq2seq", root.GetProperty("model").GetString());
        Assert.Equal("gru", root.GetProperty("arch").GetString());
        Assert.Equal(3, root.GetProperty("epochs").GetInt32());
        Assert.InRange(root.GetProperty("loss").GetDouble(), 0.01, 10);
        Assert.True(root.GetProperty("tokens_per_s").GetDouble() > 0);
        Assert.True(File.Exists(root.GetProperty("plot").GetString()), "the loss plot exists");
        var examples = root.GetProperty("examples").EnumerateArray().ToList();
        Assert.Equal(FraEng.CourseExamples.Select(e => e.English), examples.Select(e => e.GetProperty("source").GetString()));
        Assert.All(examples, e => Assert.InRange(e.GetProperty("bleu").GetDouble(), 0, 1));
        Assert.InRange(root.GetProperty("corpus_bleu").GetDouble(), 0, 1);
        Assert.True(root.GetProperty("test_sentences").GetInt32() > 0);
        Assert.Contains("go . => ", stderr);
        Assert.Contains("Held-out corpus BLEU-4: ", stderr);

        CheckpointData saved = Checkpoint.Load(CheckpointStore.PathIn(directory));
        Assert.Equal("seq2seq", saved.Metadata["model"]);
        Assert.Equal("gru", saved.Metadata["arch"]);
        var data = FraEng.LoadData(10, 80, 0.1, seed: 1);
        Assert.Equal(data.SrcVocab.IdxToToken, JsonSerializer.Deserialize<string[]>(saved.Metadata["src_vocab"]));
        var (_, restored) = Seq2SeqCheckpoint.Load(directory);
        Assert.Equal(data.TgtVocab.IdxToToken, restored.TgtVocab.IdxToToken);
    }

    [Fact]
    public void Resume_after_a_stop_continues_bit_for_bit_as_a_run_that_never_stopped()
    {
        string straight = Path.Combine(directory, "straight"), resumed = Path.Combine(directory, "resumed");
        Assert.Equal(0, Run([.. Tiny("gru", 4), "--checkpoint", straight]).ExitCode);
        var stopped = Run([.. Tiny("gru", 4), "--checkpoint", resumed, "--stop-after-batches", "3"]);
        Assert.Equal(TrainRun.InterruptedExitCode, stopped.ExitCode);
        Assert.Contains("Stopped after epoch 2 of 4.", stopped.Stdout);

        var (exitCode, stdout, stderr) = Run("train", "seq2seq", "--epochs", "4", "--checkpoint", resumed, "--resume");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains($"Resuming {resumed} after epoch 2.", stdout);
        Assert.Contains("--arch gru", stdout);
        CheckpointData expected = Checkpoint.Load(CheckpointStore.PathIn(straight));
        CheckpointData actual = Checkpoint.Load(CheckpointStore.PathIn(resumed));
        Assert.Equal("4", actual.Metadata["epoch"]);
        Assert.Equal(expected.Metadata["loss"], actual.Metadata["loss"]);
        foreach (var (name, tensor) in expected.Model)
        {
            Assert.Equal(tensor.ToArray<float>(), actual.Model[name].ToArray<float>());
        }
    }

    [Fact]
    public void Translate_prints_the_greedy_translation_and_writes_the_attention_heatmap()
    {
        Assert.Equal(0, Run([.. Tiny("transformer"), "--checkpoint", directory]).ExitCode);
        string plot = Path.Combine(directory, "attention.png");

        var (exitCode, stdout, stderr) = Run("translate", "--checkpoint", directory, "I'm home.", "--attention-plot", plot);
        var beam = Run("translate", "--checkpoint", directory, "i'm home .", "--beam", "3");

        Assert.True(exitCode == 0, stderr);
        Assert.True(beam.ExitCode == 0, beam.Stderr);
        var (model, saved) = Seq2SeqCheckpoint.Load(directory);
        var source = SourceSentence.Encode(["i'm", "home", "."], saved.SrcVocab, 10);
        Assert.Equal(Translator.PredictSeq2Seq(model, source, saved.TgtVocab, 10).Text, stdout.TrimEnd('\n', '\r'));
        Assert.Equal(Translator.BeamSearch(model, source, saved.TgtVocab, 10, 3).Text, beam.Stdout.TrimEnd('\n', '\r'));
        Assert.True(new FileInfo(plot).Length > 1000, "the heatmap PNG was written");
        Assert.Contains("Attention weights: ", stderr);
    }

    [Fact]
    public void Translate_says_which_words_are_unknown_and_when_it_cuts_the_sentence()
    {
        Assert.Equal(0, Run([.. Tiny("gru", 1), "--checkpoint", directory]).ExitCode);

        var unknown = Run("translate", "--checkpoint", directory, "i zorglub .");
        var tooLong = Run("translate", "--checkpoint", directory, "go go go go go go go go go go go go .");

        Assert.Equal(0, unknown.ExitCode);
        Assert.Contains("read as <unk>: zorglub", unknown.Stderr);
        Assert.Single(unknown.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, tooLong.ExitCode);
        Assert.Contains("13 tokens and <eos>, more than the 10 the model reads; it was cut to: go go go go go go go go go go", tooLong.Stderr);
    }

    [Fact]
    public void Translate_bad_input_is_one_clear_line()
    {
        Assert.Equal(0, Run([.. Tiny("gru", 1), "--checkpoint", directory]).ExitCode);
        string charlm = Path.Combine(directory, "charlm");
        Assert.Equal(0, Run("train", "charlm", "--hidden", "8", "--steps", "5", "--batch-size", "4", "--max-tokens", "200", "--epochs", "1", "--checkpoint", charlm).ExitCode);

        foreach (var (args, message) in new (string[], string)[]
        {
            (["translate", "--checkpoint", directory, "  "], "nabla: translate: the sentence is empty"),
            (["translate", "--checkpoint", charlm, "go ."], "holds a 'charlm' model, not a seq2seq translation model"),
            (["translate", "--checkpoint", directory, "go .", "--attention-plot", Path.Combine(directory, "a.png")], "this checkpoint's model (gru) has no attention"),
            (["translate", "--checkpoint", Path.Combine(directory, "none"), "go ."], "nabla: No checkpoint in"),
            (["translate", "--checkpoint", directory, "go .", "--beam", "0"], "--beam must be at least 1"),
        })
        {
            var (exitCode, stdout, stderr) = Run(args);
            Assert.Equal(1, exitCode);
            Assert.Empty(stdout);
            Assert.Contains(message, stderr);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
    }

    [Fact]
    public void A_fresh_run_refuses_a_directory_holding_a_checkpoint_unless_overwrite()
    {
        Assert.Equal(0, Run([.. Tiny("gru", 1), "--checkpoint", directory]).ExitCode);
        byte[] before = File.ReadAllBytes(Path.Combine(directory, "checkpoint.safetensors"));

        var (exitCode, _, stderr) = Run([.. Tiny("gru", 2), "--checkpoint", directory]);

        Assert.Equal(1, exitCode);
        Assert.Contains("already holds a checkpoint", stderr);
        Assert.Contains("--overwrite", stderr);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(directory, "checkpoint.safetensors")));
        Assert.Equal(0, Run([.. Tiny("gru", 2), "--checkpoint", directory, "--overwrite"]).ExitCode);
        Assert.NotEqual(before, File.ReadAllBytes(Path.Combine(directory, "checkpoint.safetensors")));
    }

    [Theory]
    [InlineData(new[] { "train", "seq2seq", "--cell", "gru" }, "--cell does not apply to seq2seq")]
    [InlineData(new[] { "train", "seq2seq", "--optimizer", "sgd" }, "--optimizer does not apply to seq2seq")]
    [InlineData(new[] { "train", "lenet", "--arch", "gru" }, "--arch applies to seq2seq only")]
    [InlineData(new[] { "train", "seq2seq", "--arch", "lstm" }, "lstm")]
    [InlineData(new[] { "train", "seq2seq", "--pairs", "0" }, "--pairs must be a positive number or 'all'")]
    [InlineData(new[] { "train", "seq2seq", "--resume", "--checkpoint", "/nonexistent/nabla" }, "--resume: no checkpoint in /nonexistent/nabla")]
    public void Seq2seq_argument_errors_are_one_clear_message(string[] args, string message)
    {
        var (exitCode, _, stderr) = Run(args);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, stderr);
    }
}
