using Nabla.Text;
using Nabla.Text.Bert;

namespace Nabla.Tests.Text;

/// <summary>BERT's pre-training data (d2l §15.9): corpus reading, NSP pairs, MLM masking statistics, padding, seeding.</summary>
public class BertDataTests
{
    // 300 paragraphs of 4–7 sentences of 4–12 words over 60 words, each word frequent enough for min_freq 5.
    static List<string[][]> SyntheticCorpus(long seed = 7)
    {
        var generator = new Generator(seed);
        var paragraphs = new List<string[][]>();
        for (int p = 0; p < 300; p++)
        {
            var sentences = new string[4 + generator.NextInt64(4)][];
            for (int s = 0; s < sentences.Length; s++)
            {
                sentences[s] = new string[4 + generator.NextInt64(9)];
                for (int w = 0; w < sentences[s].Length; w++) sentences[s][w] = $"w{generator.NextInt64(60)}";
            }
            paragraphs.Add(sentences);
        }
        return paragraphs;
    }

    // The example's tokens before masking: the labels put back at the predicted positions.
    static string[] Unmasked(BertExample example, Vocab vocab)
    {
        int[] ids = (int[])example.TokenIds.Clone();
        for (int k = 0; k < example.PredPositions.Length; k++) ids[example.PredPositions[k]] = example.MlmLabels[k];
        return vocab.ToTokens(ids);
    }

    [Fact]
    public void Vocab_has_unk_then_the_reserved_tokens_and_min_freq_5()
    {
        var corpus = SyntheticCorpus();
        corpus.Add([["rare", "rare", "rare", "rare"], ["five", "five", "five", "five", "five"]]);
        var data = new BertPretrainingDataset(corpus, 64, new Generator(0));
        Assert.Equal(["<unk>", "<pad>", "<mask>", "<cls>", "<sep>"], data.Vocab.IdxToToken.Take(5));
        Assert.False(data.Vocab.Contains("rare"));
        Assert.True(data.Vocab.Contains("five"));
        Assert.Equal(5 + 60 + 1, data.Vocab.Count);
        Assert.Equal(10, data.MaxPredictions); // round(64 · 0.15) = round(9.6)
    }

    [Fact]
    public void Examples_are_cls_A_sep_B_sep_with_segments_and_valid_predictions()
    {
        var corpus = SyntheticCorpus();
        var data = new BertPretrainingDataset(corpus, 24, new Generator(1));
        int cls = data.Vocab["<cls>"], sep = data.Vocab["<sep>"];
        var consecutive = new HashSet<string>();
        foreach (var paragraph in corpus)
            for (int i = 0; i + 1 < paragraph.Length; i++) consecutive.Add(string.Join(' ', paragraph[i]) + " | " + string.Join(' ', paragraph[i + 1]));
        Assert.True(data.SkippedPairs > 0); // pairs of up to 24 + 3 tokens do not all fit in 24
        foreach (var example in data.Examples)
        {
            int length = example.TokenIds.Length;
            Assert.InRange(length, 5, 24);
            string[] tokens = Unmasked(example, data.Vocab);
            Assert.Equal("<cls>", tokens[0]);
            Assert.Equal("<sep>", tokens[^1]);
            int firstSep = Array.IndexOf(tokens, "<sep>");
            Assert.Equal(2, tokens.Count(t => t == "<sep>"));
            for (int j = 0; j < length; j++) Assert.Equal(j <= firstSep ? 0 : 1, example.Segments[j]);
            // max(1, round(0.15 · length)) positions, ascending, never <cls> or <sep>.
            Assert.Equal(Math.Max(1, (int)Math.Round(length * 0.15)), example.PredPositions.Length);
            Assert.True(example.PredPositions.SequenceEqual(example.PredPositions.Order()));
            Assert.All(example.PredPositions, p => Assert.DoesNotContain(tokens[p], (string[])["<cls>", "<sep>"]));
            Assert.All(example.MlmLabels, label => Assert.True(label != cls && label != sep));
            // A positive pair is two consecutive sentences of the corpus.
            string pair = string.Join(' ', tokens[1..firstSep]) + " | " + string.Join(' ', tokens[(firstSep + 1)..^1]);
            if (example.IsNext) Assert.Contains(pair, consecutive);
        }
    }

    [Fact]
    public void Nsp_is_balanced_and_mlm_replaces_80_10_10()
    {
        var data = new BertPretrainingDataset(SyntheticCorpus(), 64, new Generator(2));
        int mask = data.Vocab["<mask>"];
        int predictions = 0, masked = 0, kept = 0, tokens = 0;
        foreach (var example in data.Examples)
        {
            tokens += example.TokenIds.Length;
            for (int k = 0; k < example.PredPositions.Length; k++)
            {
                int input = example.TokenIds[example.PredPositions[k]];
                predictions++;
                if (input == mask) masked++;
                else if (input == example.MlmLabels[k]) kept++;
            }
        }
        double isNext = data.Examples.Count(e => e.IsNext) / (double)data.Count;
        Assert.True(data.Count > 1000, $"{data.Count} examples");
        Assert.InRange(isNext, 0.46, 0.54);
        Assert.InRange(predictions / (double)tokens, 0.14, 0.16);
        Assert.InRange(masked / (double)predictions, 0.78, 0.82);
        // 10% kept, plus the random 10% that draw the same token (1 in 65).
        Assert.InRange(kept / (double)predictions, 0.085, 0.12);
        Assert.InRange((predictions - masked - kept) / (double)predictions, 0.08, 0.115);
    }

    [Fact]
    public void Same_seed_gives_the_same_examples_and_another_seed_others()
    {
        var corpus = SyntheticCorpus();
        var first = new BertPretrainingDataset(corpus, 32, new Generator(5));
        var again = new BertPretrainingDataset(corpus, 32, new Generator(5));
        var other = new BertPretrainingDataset(corpus, 32, new Generator(6));
        Assert.Equal(first.Count, again.Count);
        for (int i = 0; i < first.Count; i++)
        {
            Assert.Equal(first.Examples[i].TokenIds, again.Examples[i].TokenIds);
            Assert.Equal(first.Examples[i].PredPositions, again.Examples[i].PredPositions);
            Assert.Equal(first.Examples[i].IsNext, again.Examples[i].IsNext);
        }
        Assert.NotEqual(first.Examples[0].TokenIds, other.Examples[0].TokenIds);
    }

    [Fact]
    public void Batch_pads_to_max_len_with_weights_and_padding_mask()
    {
        var data = new BertPretrainingDataset(SyntheticCorpus(), 40, new Generator(3));
        BertBatch batch = data.GetBatch([0, 5, 9]);
        Assert.Equal([3, 40], batch.TokenIds.Shape.ToArray());
        Assert.Equal([3, 40], batch.Segments.Shape.ToArray());
        Assert.Equal([3, 40], batch.PaddingMask.Shape.ToArray());
        Assert.Equal([3], batch.ValidLens.Shape.ToArray());
        Assert.Equal([3, 6], batch.PredPositions.Shape.ToArray());
        Assert.Equal([3, 6], batch.MlmWeights.Shape.ToArray());
        long[] ids = batch.TokenIds.ToArray<long>();
        bool[] padding = batch.PaddingMask.ToArray<bool>();
        float[] weights = batch.MlmWeights.ToArray<float>();
        long[] valid = batch.ValidLens.ToArray<long>();
        long[] nsp = batch.NspLabels.ToArray<long>();
        int[] rows = [0, 5, 9];
        for (int r = 0; r < 3; r++)
        {
            var example = data.Examples[rows[r]];
            Assert.Equal(example.TokenIds.Length, valid[r]);
            for (int j = 0; j < 40; j++)
            {
                Assert.Equal(j >= valid[r], padding[r * 40 + j]);
                Assert.Equal(j < valid[r] ? example.TokenIds[j] : 1, ids[r * 40 + j]); // <pad> is 1
            }
            Assert.Equal(example.PredPositions.Length, weights.Skip(r * 6).Take(6).Sum());
            Assert.Equal(example.IsNext ? 1 : 0, nsp[r]);
        }
    }

    [Fact]
    public void Empty_corpus_or_single_sentences_fail_in_one_line()
    {
        var empty = Assert.Throws<ArgumentException>(() => new BertPretrainingDataset(new List<string[][]>(), 64, new Generator(0)));
        Assert.Contains("no sentence pair", empty.Message);
        Assert.DoesNotContain('\n', empty.Message);
        var single = Assert.Throws<ArgumentException>(() => new BertPretrainingDataset([[["one", "sentence"]]], 64, new Generator(0)));
        Assert.Contains("0 with two sentences", single.Message);
    }

    [Fact]
    public void Wikitext_lines_are_paragraphs_split_on_space_dot_space()
    {
        string directory = Directory.CreateTempSubdirectory("nabla-wiki").FullName;
        try
        {
            string path = Path.Combine(directory, BertCorpus.WikiTextFile("train"));
            File.WriteAllText(path, " \n = Valkyria Chronicles = \n \n The Game was released . It sold @,@ well . \n One sentence only . \n");
            var paragraphs = BertCorpus.ReadWikiText(path);
            // As d2l: " . \n" at the end of a line counts as a split, so a one-sentence line is a paragraph too
            // (it gives no pair of its own, but can be drawn as a random second sentence).
            Assert.Equal(2, paragraphs.Count);
            Assert.Equal(["the", "game", "was", "released"], paragraphs[0][0]);
            Assert.Equal(["it", "sold", "@,@", "well", "."], paragraphs[0][1]);
            Assert.Equal(["one", "sentence", "only", "."], paragraphs[1].Single());
        }
        finally
        {
            Directory.Delete(directory, true);
        }
    }

    [Fact]
    public void Plain_text_splits_paragraphs_at_blank_lines_and_sentences_after_stops()
    {
        string[] text =
        [
            "The Time Machine, by H. G. Wells [1898]", "", "",
            "'You must follow me carefully. I shall have to controvert one or two",
            "ideas. The geometry is founded on a misconception.'", "",
            "'Is not that rather large?' said Filby. And so did I.",
        ];
        var paragraphs = BertCorpus.FromPlainText(text);
        Assert.Equal(3, paragraphs.Count);
        Assert.Equal(["the", "time", "machine", ",", "by", "h", ".", "g", ".", "wells", "[", "1898", "]"], paragraphs[0].Single());
        Assert.Equal(3, paragraphs[1].Length);
        Assert.Equal(["'", "you", "must", "follow", "me", "carefully", "."], paragraphs[1][0]);
        Assert.Equal(["the", "geometry", "is", "founded", "on", "a", "misconception", ".", "'"], paragraphs[1][2]);
        // The splitter is plain: it cuts after "?'" even when the sentence goes on ("said Filby").
        Assert.Equal(["'", "is", "not", "that", "rather", "large", "?", "'"], paragraphs[2][0]);
        Assert.Equal(["said", "filby", "."], paragraphs[2][1]);
        Assert.Equal(["and", "so", "did", "i", "."], paragraphs[2][2]);
    }

    [Fact]
    public void Time_machine_corpus_gives_a_few_thousand_pairs()
    {
        var paragraphs = BertCorpus.TimeMachineParagraphs();
        int sentences = paragraphs.Sum(p => p.Length);
        Assert.InRange(paragraphs.Count, 250, 400);
        Assert.InRange(sentences, 1500, 4000);
        var data = new BertPretrainingDataset(paragraphs, 64, new Generator(0));
        Assert.InRange(data.Count, 1000, 4000);
    }
}
