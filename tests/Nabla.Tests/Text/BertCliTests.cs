using System.Text.Json;
using Nabla.Cli;
using Nabla.Serialization;
using Nabla.Tests.TestSupport;

namespace Nabla.Tests.Text;

// nabla train bert / nabla embed: a tiny BERT on The Time Machine for a few steps (named with --data timemachine:
// the default is the Brown Corpus where it is installed).
[Collection(DefaultGeneratorCollection.Name)]
public sealed class BertCliTests() : CliTestBase("nabla-bert")
{
    private static readonly string[] Tiny =
        ["train", "bert", "--hidden", "16", "--ffn", "32", "--heads", "2", "--blocks", "1", "--batch-size", "32", "--max-len", "32", "--seed", "3", "--data", "timemachine"];

    [Fact]
    public void Train_bert_json_reports_losses_held_out_measures_and_checkpoints()
    {
        var (exitCode, stdout, stderr) = Run([.. Tiny, "--steps", "3", "--checkpoint", directory, "--json"]);

        Assert.True(exitCode == 0, stderr);
        var root = JsonDocument.Parse(Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal("bert", root.GetProperty("model").GetString());
        Assert.StartsWith("The Time Machine", root.GetProperty("corpus").GetString());
        Assert.Equal(3, root.GetProperty("steps").GetInt32());
        Assert.InRange(root.GetProperty("mlm_loss").GetDouble(), 0.1, 20);
        Assert.InRange(root.GetProperty("heldout_nsp_accuracy").GetDouble(), 0, 1);
        Assert.True(root.GetProperty("frequency_baseline_mlm_loss").GetDouble() > 1);
        Assert.True(root.GetProperty("heldout_pairs").GetInt32() > 50);
        Assert.True(File.Exists(root.GetProperty("plot").GetString()), "the plot exists");
        Assert.StartsWith("Corpus: The Time Machine", stderr);
        Assert.Contains("step 3/3", stderr);
        Assert.Contains("token-frequency baseline", stderr);

        CheckpointData saved = Checkpoint.Load(CheckpointStore.PathIn(directory));
        Assert.Equal("bert", saved.Metadata["model"]);
        Assert.Equal("16", saved.Metadata["hidden"]);
        Assert.Equal(3, JsonSerializer.Deserialize<double[]>(saved.Metadata["mlm_loss"])!.Length);
    }

    [Fact]
    public void Resumed_run_continues_as_the_uninterrupted_one()
    {
        string straight = directory + "-straight";
        try
        {
            var whole = Run([.. Tiny, "--steps", "4", "--checkpoint", straight, "--json"]);
            Assert.True(whole.ExitCode == 0, whole.Stderr);
            var first = Run([.. Tiny, "--steps", "4", "--checkpoint", directory, "--stop-after-steps", "2"]);
            Assert.Equal(TrainRun.InterruptedExitCode, first.ExitCode);
            Assert.Contains("Resume with", first.Stdout);
            var rest = Run("train", "bert", "--steps", "4", "--checkpoint", directory, "--resume", "--json");
            Assert.True(rest.ExitCode == 0, rest.Stderr);
            Assert.Contains("Resuming", rest.Stderr);
            double[] Losses(string dir) => JsonSerializer.Deserialize<double[]>(Checkpoint.Load(CheckpointStore.PathIn(dir)).Metadata["mlm_loss"])!;
            Assert.Equal(Losses(straight), Losses(directory));
        }
        finally
        {
            if (Directory.Exists(straight)) Directory.Delete(straight, true);
        }
    }

    [Fact]
    public void Redraw_changes_the_pairs_after_the_first_epoch_and_resumes_across_epochs()
    {
        // Batch 256 at max length 32: the book's ~500 pairs give two batches an epoch, so step 3 is the first of epoch 2.
        string[] run = ["train", "bert", "--hidden", "16", "--ffn", "32", "--blocks", "1", "--batch-size", "256", "--max-len", "32", "--seed", "3", "--steps", "3", "--data", "timemachine"];
        string fixedSet = directory + "-fixed", straight = directory + "-straight";
        try
        {
            Assert.Equal(0, Run([.. run, "--checkpoint", fixedSet]).ExitCode);
            Assert.Equal(0, Run([.. run, "--redraw", "--checkpoint", straight]).ExitCode);
            var first = Run([.. run, "--redraw", "--checkpoint", directory, "--stop-after-steps", "2"]);
            Assert.Equal(TrainRun.InterruptedExitCode, first.ExitCode);
            var rest = Run("train", "bert", "--steps", "3", "--checkpoint", directory, "--resume");
            Assert.True(rest.ExitCode == 0, rest.Stderr);
            Assert.Contains("new pairs and masks every epoch", rest.Stdout);
            double[] Losses(string dir) => JsonSerializer.Deserialize<double[]>(Checkpoint.Load(CheckpointStore.PathIn(dir)).Metadata["mlm_loss"])!;
            double[] once = Losses(fixedSet), redrawn = Losses(straight);
            Assert.Equal(once[..2], redrawn[..2]); // the first epoch is the course's set either way
            Assert.NotEqual(once[2], redrawn[2]);
            Assert.Equal(redrawn, Losses(directory));
        }
        finally
        {
            foreach (string dir in new[] { fixedSet, straight })
                if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Embed_prints_the_cls_and_token_vectors_and_the_cosine_of_two_sentences()
    {
        Assert.Equal(0, Run([.. Tiny, "--steps", "1", "--checkpoint", directory]).ExitCode);

        var (exitCode, stdout, stderr) = Run("embed", "--checkpoint", directory, "a crane is flying", "The Time Traveller smiled.");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("sentence 1: <cls> a crane is flying <sep>", stdout);
        Assert.Contains("encoded shape [1, 6, 16]", stdout);
        Assert.Contains("sentence 2: <cls> the time traveller smiled . <sep>", stdout);
        Assert.Contains("cosine similarity of the <cls> vectors:", stdout);

        var json = Run("embed", "--checkpoint", directory, "--json", "a crane is flying", "the time traveller smiled");
        Assert.True(json.ExitCode == 0, json.Stderr);
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        var encodings = root.GetProperty("encodings");
        Assert.Equal(2, encodings.GetArrayLength());
        Assert.Equal([1, 6, 16], encodings[0].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(6, encodings[0].GetProperty("vectors").GetArrayLength());
        float[] cls = [.. encodings[0].GetProperty("cls").EnumerateArray().Select(e => e.GetSingle())];
        float[] first = [.. encodings[0].GetProperty("vectors")[0].EnumerateArray().Select(e => e.GetSingle())];
        Assert.Equal(cls, first);
        Assert.InRange(root.GetProperty("cls_cosine_similarity").GetDouble(), -1, 1);

        var pair = Run("embed", "--checkpoint", directory, "--pair", "a crane driver came", "he just left");
        Assert.True(pair.ExitCode == 0, pair.Stderr);
        Assert.Contains("pair: <cls> a crane driver came <sep> he just left <sep>", pair.Stdout);
        Assert.DoesNotContain("cosine", pair.Stdout);
    }

    [Fact]
    public void Embed_truncates_an_over_long_sentence_and_says_so()
    {
        Assert.Equal(0, Run([.. Tiny, "--steps", "1", "--checkpoint", directory]).ExitCode);
        string longSentence = string.Join(' ', Enumerable.Repeat("time", 40));

        var (exitCode, stdout, stderr) = Run("embed", "--checkpoint", directory, longSentence);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("Note: sentence 1 has 40 tokens, more than max length 32 allows with <cls> and <sep> (30); truncated to its first 30.", stdout);
        Assert.Contains("encoded shape [1, 32, 16]", stdout);
    }

    [Fact]
    public void Empty_corpus_fails_with_one_line()
    {
        Directory.CreateDirectory(directory);
        string empty = Path.Combine(directory, "empty.txt");
        File.WriteAllText(empty, "\n\n");

        var (exitCode, stdout, stderr) = Run("train", "bert", "--data", empty, "--steps", "1");

        Assert.Equal(1, exitCode);
        Assert.Equal("", stdout);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("nabla: BERT pre-training data: the corpus gives no sentence pair", line);
    }

    [Fact]
    public void Wikitext_directory_without_train_file_is_refused()
    {
        Directory.CreateDirectory(directory);
        var (exitCode, _, stderr) = Run("train", "bert", "--data", directory);
        Assert.Equal(1, exitCode);
        Assert.Contains("no wiki.train.tokens there", stderr);
    }
}
