using LstmVariants;
using Nabla.Optim;
using Nabla.Text;

namespace Nabla.Tests.Text;

/// <summary>The from-scratch LSTMs of examples/LstmVariants (d2l §9.2, peephole, coupled gates) run and learn.</summary>
public class LstmVariantsTests
{
    [Theory]
    [InlineData(LstmVariant.Standard, 14)]    // W_x, W_h, b for i, f, o and the candidate; W_hq, b_q
    [InlineData(LstmVariant.Peephole, 17)]    // and w_ci, w_cf, w_co
    [InlineData(LstmVariant.CoupledGates, 11)] // no forget gate of its own
    public void Scratch_lstm_variant_learns_the_time_machine(LstmVariant variant, int parameterCount)
    {
        Generator.ManualSeed(0);
        var (data, vocab) = TimeMachine.LoadData(batchSize: 32, numSteps: 35, generator: new Generator(1));
        var model = new ScratchLstm(vocab.Count, 64, variant);
        Assert.Equal(parameterCount, model.Parameters().Count());
        var optimizer = new Adam(model.Parameters(), lr: 0.01);
        var perplexities = new List<double>();
        for (int epoch = 0; epoch < 10; epoch++) perplexities.Add(ScratchLanguageModel.TrainEpoch(model, data, optimizer));
        Assert.InRange(perplexities[0], 15, 30); // about uniform over 28 characters at first
        // About 10 on the reference run (2-4 s on 2 busy cores); a unigram model sits near 17.
        Assert.True(perplexities[^1] < 12, $"{variant}: perplexity {perplexities[^1]:F2} after 10 epochs ({string.Join(", ", perplexities.Select(p => p.ToString("F2")))})");
        string text = ScratchLanguageModel.Predict("time traveller", 10, model, vocab);
        Assert.Equal("time traveller".Length + 10, text.Length);
    }
}
