using Nabla.Text;

namespace Nabla.Tests.Text;

/// <summary>Tokenizer, Vocab and the embedded Time Machine, checked against the numbers d2l (and its Python code) give.</summary>
public class TokenizerVocabTests
{
    [Fact]
    public void D2l_cleaning_replaces_non_letters_by_one_space_trims_and_lowercases()
    {
        Assert.Equal("the time machine by h g wells", Tokenizer.D2lTimeMachine("The Time Machine, by H. G. Wells [1898]"));
        Assert.Equal("i m here", Tokenizer.D2lTimeMachine("  --I'm  here!--  "));
        Assert.Equal("", Tokenizer.D2lTimeMachine("1898."));
    }

    [Fact]
    public void Word_and_char_tokens()
    {
        var words = new Tokenizer(TokenLevel.Word, lowerCase: true, punctuation: Punctuation.LettersOnly);
        Assert.Equal(["the", "time", "machine", "by", "h", "g", "wells"], words.Tokenize("The Time Machine, by H. G. Wells [1898]"));
        Assert.Equal(["a", "b", " ", "c"], new Tokenizer(TokenLevel.Char).Tokenize("ab c"));
        Assert.Empty(new Tokenizer(TokenLevel.Word).Tokenize("   "));
        Assert.Equal(["Keep,", "it"], new Tokenizer().Tokenize("Keep,  it"));
    }

    [Fact]
    public void Separate_punctuation_like_d2l_preprocess_nmt()
    {
        var tokenizer = new Tokenizer(TokenLevel.Word, lowerCase: true, punctuation: Punctuation.Separate);
        Assert.Equal("go . va !", tokenizer.Normalize("Go.\u202fVa !"));
        Assert.Equal(["i", "won", "!", "j'ai", "gagné", "."], tokenizer.Tokenize("I won!\u00a0J'ai gagné."));
    }

    [Fact]
    public void Time_machine_has_3221_lines_cleaned_as_d2l_reads_them()
    {
        var lines = TimeMachine.Load();
        Assert.Equal(3221, lines.Length);
        Assert.Equal("the time machine by h g wells", lines[0]);
        Assert.Equal("twinkled and his usually pale face was flushed and animated the", lines[10]);
        Assert.Equal(178_979 - 3221, TimeMachine.ReadLines().Sum(l => l.Length)); // every line ends in one '\n'
    }

    [Fact]
    public void Char_vocab_of_time_machine_has_28_tokens_in_d2l_order()
    {
        var (corpus, vocab) = TimeMachine.LoadCorpus();
        Assert.Equal(170_580, corpus.Length);
        Assert.Equal(28, vocab.Count);
        Assert.Equal(["<unk>", " ", "e", "t", "a", "i", "n", "o", "s", "h", "r", "d", "l", "m", "u", "c", "f", "w", "g", "y", "p", "b", "v", "k", "x", "z", "j", "q"], vocab.IdxToToken);
        Assert.Equal((" ", 29927), vocab.TokenFreqs[0]);
        Assert.Equal(("e", 17838), vocab.TokenFreqs[1]);
        Assert.Equal("the time machine", string.Concat(vocab.ToTokens(corpus.Take(16))));
        Assert.Equal(10_000, TimeMachine.LoadCorpus(maxTokens: 10_000).Corpus.Length);
    }

    [Fact]
    public void Word_vocab_of_time_machine_matches_d2l()
    {
        var tokens = new Tokenizer(TokenLevel.Word).Tokenize(TimeMachine.Load());
        var vocab = new Vocab(tokens);
        Assert.Equal(4580, vocab.Count);
        Assert.Equal(["<unk>", "the", "i", "and", "of", "a", "to", "was", "in", "that"], vocab.IdxToToken.Take(10));
        Assert.Equal([("the", 2261), ("i", 1267), ("and", 1245), ("of", 1155), ("a", 816), ("to", 695), ("was", 552), ("in", 541), ("that", 443), ("my", 440)],
            vocab.TokenFreqs.Take(10));
        Assert.Equal(32_775, vocab.TokenFreqs.Sum(p => p.Frequency));

        var reserved = new Vocab(tokens, minFreq: 5, reservedTokens: [Vocab.PadToken, Vocab.BosToken, Vocab.EosToken]);
        Assert.Equal(828, reserved.Count);
        Assert.Equal(["<unk>", "<pad>", "<bos>", "<eos>", "the", "i", "and", "of"], reserved.IdxToToken.Take(8));
        Assert.Equal(1, reserved[Vocab.PadToken]);
    }

    [Fact]
    public void Unknown_tokens_map_to_unk_and_indices_round_trip()
    {
        var vocab = new Vocab(["b", "a", "b", "c", "a", "b"], minFreq: 2);
        Assert.Equal(["<unk>", "b", "a"], vocab.IdxToToken); // c is under minFreq; ties keep first occurrence
        Assert.Equal([1, 2, 0, 0], vocab.Indices(["b", "a", "c", "zzz"]));
        Assert.Equal(vocab.Unk, vocab["c"]);
        Assert.False(vocab.Contains("c"));
        Assert.Equal(["b", "a", "<unk>"], vocab.ToTokens(Tensor.From(new long[] { 1, 2, 0 }, [3])));
        Assert.Throws<ArgumentOutOfRangeException>(() => vocab.ToToken(3));
    }

    [Fact]
    public void Frequency_ties_keep_first_occurrence_order()
    {
        var vocab = new Vocab(new[] { new[] { "x", "y" }, new[] { "z", "y", "x", "w" } });
        Assert.Equal(["<unk>", "x", "y", "z", "w"], vocab.IdxToToken);
    }
}
