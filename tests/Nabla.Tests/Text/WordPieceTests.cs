using System.Text;
using Nabla.Text.Tokenizers;

namespace Nabla.Tests.Text;

/// <summary>
/// BERT's BasicTokenizer, WordpieceTokenizer and vocab.txt reading on hand-made cases. Expected tokens
/// follow from the rules of google-research/bert's tokenization.py (traced by hand in the comments);
/// several are the cases of that project's and Hugging Face's own tokenizer tests.
/// </summary>
public class WordPieceTests
{
    static readonly string[] SmallVocab = ["[UNK]", "[CLS]", "[SEP]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ",", "low", "lowest"];

    static Dictionary<string, int> VocabOf(params string[] tokens) => tokens.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i);

    [Fact]
    public void Basic_lowercases_splits_punctuation_and_whitespace()
    {
        var basic = new BasicTokenizer();
        // \t and \n are whitespace; '!' and '?' are punctuation and become tokens of their own.
        Assert.Equal(["hello", "!", "how", "are", "you", "?"], basic.Tokenize(" \tHeLLo!how  \n Are yoU?  "));
        // é = e + U+0301 after NFD; the combining accent (Mn) is dropped.
        Assert.Equal(["hello"], basic.Tokenize("H\u00E9llo"));
        Assert.Equal(["don", "'", "t", "$", "5", ".", "00", "-", "ok", "`"], basic.Tokenize("Don't $5.00-ok`"));
        Assert.Empty(basic.Tokenize("  \t\r\n "));
    }

    [Fact]
    public void Basic_cased_keeps_case_and_accents()
    {
        var basic = new BasicTokenizer(doLowerCase: false);
        Assert.Equal(["HeLLo", "!", "how", "Are", "yoU", "?"], basic.Tokenize(" \tHeLLo!how  \n Are yoU?  "));
        Assert.Equal(["H\u00E9llo"], basic.Tokenize("H\u00E9llo"));
        var lowerKeepAccents = new BasicTokenizer(doLowerCase: true, stripAccents: false);
        Assert.Equal(["h\u00E4llo", "!"], lowerKeepAccents.Tokenize("H\u00C4LLo!"));
    }

    [Fact]
    public void Basic_spaces_cjk_ideographs_and_drops_controls()
    {
        var basic = new BasicTokenizer();
        Assert.Equal(["ah", "\u535A", "\u63A8", "zz"], basic.Tokenize("ah\u535A\u63A8zz"));
        // U+20000 (CJK extension B, a surrogate pair in UTF-16) is an ideograph too; Hiragana is not.
        Assert.Equal(["a", "\U00020000", "b\u3042"], basic.Tokenize("a\U00020000b\u3042"));
        // NUL, U+FFFD, U+0005 (Cc) and U+200B (Cf) vanish; U+00A0 (Zs) separates.
        Assert.Equal(["ab", "c"], basic.Tokenize("a\u0000\uFFFD\u0005\u200Bb\u00A0c"));
    }

    [Fact]
    public void Basic_leaves_special_tokens_whole()
    {
        var basic = new BasicTokenizer(neverSplit: ["[CLS]", "[SEP]"]);
        Assert.Equal(["[CLS]", "hi", "[SEP]", "[", "mask", "]"], basic.Tokenize("[CLS] Hi [SEP] [MASK]"));
    }

    [Fact]
    public void Character_classes_follow_bert()
    {
        Assert.True(BasicTokenizer.IsWhitespace(new Rune(' ')));
        Assert.True(BasicTokenizer.IsWhitespace(new Rune('\t')));
        Assert.True(BasicTokenizer.IsWhitespace(new Rune('\u00A0')));
        Assert.False(BasicTokenizer.IsWhitespace(new Rune('A')));
        Assert.False(BasicTokenizer.IsWhitespace(new Rune('-')));
        Assert.True(BasicTokenizer.IsControl(new Rune('\u0005')));
        Assert.False(BasicTokenizer.IsControl(new Rune('\t')));
        Assert.False(BasicTokenizer.IsControl(new Rune('\r')));
        Assert.False(BasicTokenizer.IsControl(new Rune('A')));
        Assert.True(BasicTokenizer.IsPunctuation(new Rune('-')));
        Assert.True(BasicTokenizer.IsPunctuation(new Rune('$'))); // Sc in Unicode, punctuation for BERT (ASCII range)
        Assert.True(BasicTokenizer.IsPunctuation(new Rune('`')));
        Assert.True(BasicTokenizer.IsPunctuation(new Rune('\u00BF'))); // ¿, Po
        Assert.False(BasicTokenizer.IsPunctuation(new Rune('\u00A3'))); // £, Sc outside ASCII: not punctuation
        Assert.False(BasicTokenizer.IsPunctuation(new Rune('A')));
        Assert.False(BasicTokenizer.IsPunctuation(new Rune(' ')));
    }

    [Fact]
    public void Wordpiece_takes_the_longest_match_first()
    {
        var wordpiece = new WordpieceTokenizer(VocabOf(SmallVocab));
        Assert.Empty(wordpiece.Tokenize(""));
        // "unwanted": "un" is the longest prefix in the vocabulary, then "##want", then "##ed".
        Assert.Equal(["un", "##want", "##ed", "runn", "##ing"], wordpiece.Tokenize("unwanted running"));
        // "unwantedX": after un ##want ##ed nothing matches "##X", so the whole word is [UNK].
        Assert.Equal(["[UNK]", "runn", "##ing"], wordpiece.Tokenize("unwantedX running"));
        // "lowest" is in the vocabulary whole; "low" + "##est" is never tried.
        Assert.Equal(["lowest", "low"], wordpiece.Tokenize("lowest low"));
        var google = new WordpieceTokenizer(VocabOf("[UNK]", "un", "##aff", "##able", "##a"));
        Assert.Equal(["un", "##aff", "##able"], google.Tokenize("unaffable"));
    }

    [Fact]
    public void Wordpiece_long_words_become_unk_and_surrogate_pairs_stay_whole()
    {
        var vocab = VocabOf("[UNK]", "a", "##a", "##\U0001F600");
        var wordpiece = new WordpieceTokenizer(vocab, maxInputCharsPerWord: 3);
        Assert.Equal(["a", "##a", "##a"], wordpiece.Tokenize("aaa"));
        Assert.Equal(["[UNK]"], wordpiece.Tokenize("aaaa"));
        // The emoji is one character (two UTF-16 units): "a😀a" has 3 characters, within the limit.
        Assert.Equal(["a", "##\U0001F600", "##a"], wordpiece.Tokenize("a\U0001F600a"));
        Assert.Throws<ArgumentException>(() => new WordpieceTokenizer(VocabOf("a", "##a")));
    }

    [Fact]
    public void Bert_tokenizer_combines_basic_and_wordpiece_and_maps_ids()
    {
        var tokenizer = new BertTokenizer(VocabOf(SmallVocab));
        List<string> tokens = tokenizer.Tokenize("UNwant\u00E9d,running");
        Assert.Equal(["un", "##want", "##ed", ",", "runn", "##ing"], tokens);
        Assert.Equal([7, 4, 5, 10, 8, 9], tokenizer.ConvertTokensToIds(tokens));
        Assert.Equal([1, 7, 4, 5, 2, 0], tokenizer.Encode("[CLS] unwanted [SEP] xyz"));
        Assert.Equal(["runn", "##ing"], tokenizer.ConvertIdsToTokens([8, 9]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.ConvertIdsToTokens([13]));
    }

    [Fact]
    public void Vocab_file_reads_one_token_per_line()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, string.Join("\n", SmallVocab) + "\n");
            var tokenizer = BertTokenizer.FromVocabFile(path);
            Assert.Equal(13, tokenizer.VocabSize);
            Assert.Equal(12, tokenizer.Vocab["lowest"]);
            Assert.Equal(["un", "##want", "##ed"], tokenizer.Tokenize("unwanted"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("{\n  \"version\": \"1.0\",\n  \"model\": {}\n}\n", "looks like JSON")]
    [InlineData("#version: 0.2\n\u0120 t\nh e\n", "line 1")]
    [InlineData("<unk>\t0\n<s>\t0\n", "line 1")]
    [InlineData("the\nof\nand\n", "no [UNK]")]
    [InlineData("[UNK]\n\nthe\n", "line 2 ('') is empty")]
    [InlineData("\n\n", "empty")]
    public void Vocab_file_that_is_not_wordpiece_is_refused_in_one_line(string content, string reason)
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, content);
            var error = Assert.Throws<InvalidDataException>(() => BertTokenizer.LoadVocab(path));
            Assert.Contains("is not a WordPiece vocabulary", error.Message);
            Assert.Contains(reason, error.Message);
            Assert.DoesNotContain('\n', error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
