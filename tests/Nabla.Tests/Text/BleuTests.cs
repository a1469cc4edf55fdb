using System.Text.Json;
using Nabla.Tests.NN;
using Nabla.Text.Seq2Seq;

namespace Nabla.Tests.Text;

/// <summary>
/// The course's sentence BLEU and corpus BLEU-4, against values computed by hand and by the Python
/// reference implementations in tests/fixtures/make_seq2seq_fixtures.py (bleu.json).
/// </summary>
public class BleuTests
{
    static readonly JsonElement Fixtures = Fixture.Load("bleu.json");

    [Fact]
    public void Course_bleu_of_the_course_examples_computed_by_hand()
    {
        Assert.Equal(1.0, Bleu.Score("va !", "va !", 2), 12);
        // BP 1, p1 = 3/4, p2 = 1/3: (3/4)^(1/2)·(1/3)^(1/4) = 0.658 (the course's "il est riche ." line).
        Assert.Equal(Math.Sqrt(0.75) * Math.Pow(1.0 / 3, 0.25), Bleu.Score("il est riche .", "il est calme .", 2), 12);
        // Too short: BP = exp(1 − 4/2), p1 = p2 = 1.
        Assert.Equal(Math.Exp(-1), Bleu.Score("va !", "va ! va !", 2), 12);
        // A prediction too short for k-grams, and an empty one, score 0 (the course divides by zero there).
        Assert.Equal(0, Bleu.Score("va", "va !", 2));
        Assert.Equal(0, Bleu.Score("", "va !", 1));
    }

    [Fact]
    public void Course_bleu_matches_d2l_code()
    {
        foreach (var c in Fixtures.GetProperty("sentence").EnumerateArray())
        {
            string pred = c.GetProperty("pred").GetString()!, label = c.GetProperty("label").GetString()!;
            int k = c.GetProperty("k").GetInt32();
            Assert.True(Math.Abs(c.GetProperty("bleu").GetDouble() - Bleu.Score(pred, label, k)) < 1e-12, $"bleu('{pred}', '{label}', {k})");
        }
    }

    [Fact]
    public void Corpus_bleu_matches_the_python_reference()
    {
        foreach (var c in Fixtures.GetProperty("corpus").EnumerateArray())
        {
            var hypotheses = c.GetProperty("hyps").EnumerateArray().Select(Tokens).ToList();
            var references = c.GetProperty("refs").EnumerateArray().Select(r => (IReadOnlyList<IReadOnlyList<string>>)[.. r.EnumerateArray().Select(Tokens)]).ToList();
            double expected = c.GetProperty("bleu").GetDouble();
            Assert.True(Math.Abs(expected - Bleu.Corpus(hypotheses, references)) < 1e-12, $"{c.GetProperty("name").GetString()}: {Bleu.Corpus(hypotheses, references)} vs {expected}");
        }
    }

    [Fact]
    public void Corpus_bleu_by_hand_brevity_penalty_and_closest_reference()
    {
        // Every n-gram matches; c = 4, closest reference length 6 (not 7): BP = exp(1 − 6/4).
        IReadOnlyList<IReadOnlyList<string>> hypothesis = [["the", "cat", "is", "on"]];
        IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> references = [[["the", "cat", "is", "on", "the", "mat"], ["there", "is", "a", "cat", "on", "the", "mat"]]];
        Assert.Equal(Math.Exp(-0.5), Bleu.Corpus(hypothesis, references), 12);
        Assert.Equal(1.0, Bleu.Corpus(references[0].Take(1).ToList(), references.Take(1).Select(r => (IReadOnlyList<IReadOnlyList<string>>)[r[0]]).ToList()), 12);
        // Clipping: "the the the the" against "the cat": p1 = 1/4, no bigram match → 0.
        Assert.Equal(0, Bleu.Corpus([["the", "the", "the", "the"]], [[["the", "cat"]]]));
        Assert.Equal(0.25, Bleu.Corpus([["the", "the", "the", "the"]], [[["the", "cat", "sat", "down"]]], maxOrder: 1), 12);
    }

    [Fact]
    public void Corpus_bleu_rejects_mismatched_lists()
    {
        Assert.Throws<ArgumentException>(() => Bleu.Corpus([["a"]], []));
        Assert.Throws<ArgumentException>(() => Bleu.Corpus([["a"]], [[]]));
        Assert.Throws<ArgumentException>(() => Bleu.Score("a", "a", 0));
    }

    static IReadOnlyList<string> Tokens(JsonElement e) => [.. e.EnumerateArray().Select(t => t.GetString()!)];
}
