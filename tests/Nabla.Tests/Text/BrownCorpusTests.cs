using Nabla.Cli;
using Nabla.Text.Bert;

namespace Nabla.Tests.Text;

/// <summary>The Brown Corpus reader (NLTK layout) and <c>nabla train bert</c>'s choice of corpus.</summary>
public class BrownCorpusTests
{
    // Two short samples in the corpus's own format: a tab before each paragraph's first sentence, one sentence
    // a line, paragraphs between blank lines, headlines tagged -hl.
    static readonly string[] SampleA =
    [
        "", "",
        "\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr an/at investigation/nn of/in Atlanta's/np$ recent/jj primary/nn election/nn produced/vbd ``/`` no/at evidence/nn ''/'' ./.",
        "", "",
        "\tThe/at jury/nn said/vbd it/pps did/dod find/vb ./.",
        "It/pps urged/vbd 1/2/cd a/at cent/nn ./.",
        "", "", "",
        "Merger/nn-hl proposed/vbn-hl ",
        "However/wrb ,/, the/at jury/nn said/vbd so/rb ./.",
        "Yes/rb ./.",
    ];

    static readonly string[] SampleB = ["", "", "\tNo/at other/ap sentence/nn ./.", "Then/rb one/cd more/ap ./.", ""];

    static string WriteSamples()
    {
        string directory = Directory.CreateTempSubdirectory("nabla-brown").FullName;
        File.WriteAllLines(Path.Combine(directory, "cb02"), SampleB);
        File.WriteAllLines(Path.Combine(directory, "ca01"), SampleA);
        File.WriteAllText(Path.Combine(directory, "CONTENTS"), "ca01 news\ncb02 editorial\n");
        File.WriteAllText(Path.Combine(directory, "README"), "BROWN CORPUS\n\nDistributed with the permission of the copyright holder.\n");
        return directory;
    }

    [Fact]
    public void Sample_lines_are_sentences_of_words_without_tags_and_blank_lines_end_paragraphs()
    {
        var paragraphs = BrownCorpus.ParseSample(SampleA);
        Assert.Equal(4, paragraphs.Count);
        // Tags stripped at the last '/', `` and '' as ", then BERT's basic tokenizer (lower case, punctuation apart).
        Assert.Equal(
            ["the", "fulton", "county", "grand", "jury", "said", "friday", "an", "investigation", "of", "atlanta", "'", "s", "recent", "primary", "election", "produced", "\"", "no", "evidence", "\"", "."],
            paragraphs[0].Single());
        Assert.Equal(2, paragraphs[1].Length);
        Assert.Equal(["it", "urged", "1", "/", "2", "a", "cent", "."], paragraphs[1][1]);
        // A headline is a paragraph of its own; the lines after it form the next one.
        Assert.Equal(["merger", "proposed"], paragraphs[2].Single());
        Assert.Equal(2, paragraphs[3].Length);
        Assert.Equal(["yes", "."], paragraphs[3][1]);
    }

    [Fact]
    public void Directory_reads_the_samples_in_order_and_ignores_other_files()
    {
        string directory = WriteSamples();
        try
        {
            Assert.True(BrownCorpus.IsCorpusDirectory(directory));
            Assert.Equal(["ca01", "cb02"], BrownCorpus.SampleFiles(directory).Select(Path.GetFileName));
            var paragraphs = BrownCorpus.ReadParagraphs(directory);
            Assert.Equal(5, paragraphs.Count);
            Assert.Equal(["then", "one", "more", "."], paragraphs[^1][1]);
        }
        finally
        {
            Directory.Delete(directory, true);
        }
    }

    [Fact]
    public void A_directory_without_samples_is_refused_with_one_line()
    {
        string directory = Directory.CreateTempSubdirectory("nabla-brown-empty").FullName;
        try
        {
            Assert.False(BrownCorpus.IsCorpusDirectory(directory));
            var error = Assert.Throws<InvalidDataException>(() => BrownCorpus.ReadParagraphs(directory));
            Assert.Contains("no sample file", error.Message);
            Assert.Contains("install-brown-corpus.sh", error.Message);
            Assert.DoesNotContain('\n', error.Message);
        }
        finally
        {
            Directory.Delete(directory, true);
        }
    }

    [Fact]
    public void Train_bert_opens_a_brown_directory_the_time_machine_by_name_and_records_the_source()
    {
        string directory = WriteSamples();
        try
        {
            var brown = BertTrainingCorpus.Open(directory);
            Assert.StartsWith("the Brown Corpus", brown.Name);
            Assert.Equal(Path.GetFullPath(directory), brown.Source);
            Assert.Equal(BertTrainingCorpus.BasicTokenization, brown.Tokenization);
            Assert.Equal(5, brown.Train.Count + brown.HeldOut.Count);

            var book = BertTrainingCorpus.Open(BertTrainingCorpus.TimeMachineData);
            Assert.StartsWith("The Time Machine", book.Name);
            Assert.Equal(BertTrainingCorpus.TimeMachineData, book.Source);
            Assert.Equal(book.Train.Count, BertTrainingCorpus.Open(book.Source).Train.Count);

            // The default is the installed Brown Corpus, else The Time Machine with a line on how to install it.
            if (BrownCorpus.Find() is { } installed)
            {
                Assert.Equal(Path.GetFullPath(installed), BertTrainingCorpus.DefaultData());
            }
            else
            {
                Assert.Equal(BertTrainingCorpus.TimeMachineData, BertTrainingCorpus.DefaultData());
                Assert.Contains(BertTrainingCorpus.BrownInstallScript, BertTrainingCorpus.Open(null).Name);
            }
        }
        finally
        {
            Directory.Delete(directory, true);
        }
    }

    [BrownCorpusFact]
    public void The_installed_corpus_has_its_500_samples_and_57340_sentences()
    {
        string directory = BrownCorpus.Find()!;
        Assert.Equal(500, BrownCorpus.SampleFiles(directory).Length);
        var paragraphs = BrownCorpus.ReadParagraphs(directory);
        Assert.Equal(57_340, paragraphs.Sum(p => p.Length));
        Assert.Equal(17_644, paragraphs.Count); // 15,667 blocks, headlines apart
        Assert.Equal(["the", "fulton", "county", "grand", "jury"], paragraphs[0][0].Take(5));
        Assert.InRange(paragraphs.Sum(p => p.Sum(s => s.Length)), 1_150_000, 1_400_000);
    }

    sealed class BrownCorpusFactAttribute : FactAttribute
    {
        public BrownCorpusFactAttribute()
        {
            if (BrownCorpus.Find() is null) Skip = "the Brown Corpus is not installed (tests/install-brown-corpus.sh installs it)";
        }
    }
}
