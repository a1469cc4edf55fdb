using Nabla.Text;
using Nabla.Text.Seq2Seq;

namespace Nabla.Tests.Text;

/// <summary>The fra-eng pipeline of d2l §9.5: the embedded file, preprocessing, vocabularies, arrays and the held-out split.</summary>
public class Seq2SeqDataTests
{
    [Fact]
    public void FraEng_holds_18066_pairs_tokenized_like_d2l()
    {
        var pairs = FraEng.ReadPairs();
        Assert.Equal(FraEng.PairCount, pairs.Count);
        Assert.Equal(["go", "."], pairs[0].Source);
        Assert.Equal(["va", "!"], pairs[0].Target);
        // "Run!\tCours\u202f!": the narrow no-break space becomes a space.
        Assert.Equal(["run", "!"], pairs[1].Source);
        Assert.Equal(["cours", "!"], pairs[1].Target);
        Assert.Equal(["i", "lost", "."], pairs[38].Source);
        Assert.Equal(["j'ai", "perdu", "."], pairs[38].Target);
        Assert.Equal(600, FraEng.ReadPairs(600).Count);
        Assert.Equal("je suis chez moi .", FraEng.Preprocess("Je suis chez moi."));
        Assert.Equal("ça alors !", FraEng.Preprocess("Ça alors\u00a0!"));
    }

    [Fact]
    public void LoadData_builds_vocabularies_with_reserved_tokens_min_freq_2_and_padded_arrays()
    {
        var data = FraEng.LoadData(numSteps: 10, numExamples: 600);
        foreach (var vocab in new[] { data.SrcVocab, data.TgtVocab })
        {
            Assert.Equal(["<unk>", "<pad>", "<bos>", "<eos>"], vocab.IdxToToken.Take(4));
            var counts = vocab.TokenFreqs.ToDictionary(p => p.Token, p => p.Frequency);
            Assert.All(vocab.IdxToToken.Skip(4), token => Assert.True(counts[token] >= 2, token));
            Assert.Contains(vocab.TokenFreqs, p => p.Frequency == 1 && !vocab.Contains(p.Token)); // rare tokens are left out
        }
        int n = data.Train.Count;
        Assert.Equal([n, 10], data.SrcArray.Shape.Dims);
        Assert.Equal([n, 10], data.TgtArray.Shape.Dims);
        // The first pair, "go ." → "va !": indices, <eos>, then <pad>; valid length 3.
        long[] first = data.SrcArray[0].ToArray<long>();
        Assert.Equal([data.SrcVocab["go"], data.SrcVocab["."], 3, 1, 1, 1, 1, 1, 1, 1], first);
        Assert.Equal(3, data.SrcValidLen[0].Item<long>());
        Assert.Equal(data.TgtVocab["va"], data.TgtArray[0, 0].Item<long>());
        var loader = data.Loader(64, new Generator(0));
        var batches = loader.ToList();
        Assert.Equal((n + 63) / 64, batches.Count);
        Assert.All(batches, b => Assert.Equal(4, b.Length));
        Assert.Equal(n, batches.Sum(b => b[0].Size(0)));
    }

    [Fact]
    public void BuildArray_truncates_long_sentences_and_drops_their_eos()
    {
        var vocab = new Vocab(["a", "b", "c"], 0, TranslationData.ReservedTokens);
        var (array, validLen) = TranslationData.BuildArray([["a", "b", "c", "a"], ["b"]], vocab, 3);
        Assert.Equal(new long[] { vocab["a"], vocab["b"], vocab["c"], vocab["b"], 3, 1 }, array.ToArray<long>());
        Assert.Equal(new long[] { 3, 2 }, validLen.ToArray<long>());
        Assert.Equal([7, 8, 0, 0], TranslationData.TruncatePad([7, 8], 4, 0));
    }

    [Fact]
    public void Split_is_seeded_groups_translations_by_source_and_keeps_the_course_examples_in_training()
    {
        var pairs = FraEng.ReadPairs(600);
        string[] keep = [.. FraEng.CourseExamples.Select(e => e.English)];
        var (train, test) = TranslationData.Split(pairs, 0.1, new Generator(3), keep);
        var (train2, test2) = TranslationData.Split(pairs, 0.1, new Generator(3), keep);
        var (_, test3) = TranslationData.Split(pairs, 0.1, new Generator(4), keep);

        Assert.Equal(test.Select(t => string.Join(' ', t.Source)), test2.Select(t => string.Join(' ', t.Source)));
        Assert.Equal(train.Count, train2.Count);
        Assert.NotEqual(test.Select(t => string.Join(' ', t.Source)), test3.Select(t => string.Join(' ', t.Source)));
        int sources = pairs.Select(p => p.SourceText).Distinct().Count();
        Assert.Equal((int)Math.Round(0.1 * sources), test.Count);
        Assert.Equal(pairs.Count, train.Count + test.Sum(t => t.References.Count));
        var trainSources = train.Select(p => p.SourceText).ToHashSet();
        Assert.All(test, t => Assert.DoesNotContain(string.Join(' ', t.Source), trainSources));
        Assert.All(keep.Where(s => pairs.Any(p => p.SourceText == s)), s => Assert.Contains(s, trainSources));
        // "run !" has two translations; wherever it went, both went together.
        var run = test.FirstOrDefault(t => string.Join(' ', t.Source) == "run !");
        Assert.Equal(run is null ? 2 : 0, train.Count(p => p.SourceText == "run !"));
        if (run is not null) Assert.Equal(2, run.References.Count);
        Assert.Throws<ArgumentException>(() => TranslationData.Split(pairs, 1.0, new Generator(0)));
    }

    [Fact]
    public void SourceSentence_reports_unknown_words_and_truncation()
    {
        var vocab = new Vocab(["i", "am", "home", "."], 0, TranslationData.ReservedTokens);
        var source = SourceSentence.Encode(["i", "am", "zorg", "."], vocab, 6);
        Assert.Equal(["zorg"], source.UnknownTokens);
        Assert.False(source.Truncated);
        Assert.Equal(5, source.ValidLength);
        Assert.Equal([vocab["i"], vocab["am"], 0, vocab["."], 3, 1], source.Indices);

        var longer = SourceSentence.Encode(["i", "am", "home", "home", "home", "."], vocab, 4);
        Assert.True(longer.Truncated);
        Assert.Equal(4, longer.ValidLength);
        Assert.Empty(longer.UnknownTokens);
    }
}
