using Nabla.Optim;
using Nabla.Text.Bert;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>bert</c>: the anchors' BERT pre-training step (d2l §15.8–15.10; <c>torch_anchor.py</c>'s <c>bert_bench</c>):
/// vocabulary 20,256, 128 hidden, 2 post-norm ReLU blocks (2 heads, FFN 256, dropout 0.2) with the key-padding
/// mask of the valid lengths, learned positions (64 × 128), segment embedding; the MLM head on 10 = round(64 · 0.15)
/// slots per sequence (weight 1 on the first max(1, round(0.15 · valid length))), the NSP head on the pooled
/// first token; loss = weighted mean MLM cross-entropy + NSP cross-entropy; Adam lr 0.01; batch 512 × 64 seeded
/// random tokens, valid lengths 32–64, a random segment split. 2 warm-up steps, then the median of 5 timed
/// steps, as the anchors; figure <c>bert-d128-l2-s64-b512</c> steps_per_s and tokens_per_s (512 · 64 per step).
/// </summary>
internal sealed class BertJob : IBenchJob
{
    public string Name => "bert";

    public IEnumerable<Figure> Run()
    {
        const int batch = 512, steps = 64, vocab = 20256, hidden = 128;
        int slots = (int)Math.Round(steps * 0.15);
        var generator = new Generator(0);
        Generator.ManualSeed(0);
        var model = new BertModel(vocab, hidden, ffnNumHiddens: 256, numHeads: 2, numBlks: 2, dropout: 0.2, maxLen: steps);
        var optimizer = new Adam(model.Parameters(), lr: 0.01);

        var tokens = new long[batch * steps];
        var segments = new long[batch * steps];
        var validLens = new long[batch];
        var positions = new long[batch * slots];
        var weights = new float[batch * slots];
        var labels = new long[batch * slots];
        var nsp = new long[batch];
        for (int b = 0; b < batch; b++)
        {
            int valid = steps / 2 + (int)generator.NextInt64(steps - steps / 2 + 1);
            int split = 2 + (int)generator.NextInt64(steps / 2 - 2);
            validLens[b] = valid;
            for (int j = 0; j < steps; j++)
            {
                tokens[b * steps + j] = j < valid ? 5 + generator.NextInt64(vocab - 5) : 0;
                segments[b * steps + j] = j >= split && j < valid ? 1 : 0;
            }
            int used = Math.Max(1, (int)Math.Round(0.15 * valid));
            for (int k = 0; k < slots; k++)
            {
                bool on = k < used;
                weights[b * slots + k] = on ? 1 : 0;
                positions[b * slots + k] = on ? 1 + generator.NextInt64(valid - 2) : 0;
                labels[b * slots + k] = on ? 5 + generator.NextInt64(vocab - 5) : 0;
            }
            nsp[b] = generator.NextInt64(2);
        }
        Tensor validTensor = Tensor.From(validLens);
        var data = new BertBatch(Tensor.From(tokens, batch, steps), Tensor.From(segments, batch, steps), validTensor,
            BertEncoder.PaddingMask(validTensor, steps), Tensor.From(positions, batch, slots), Tensor.From(weights, batch, slots),
            Tensor.From(labels, batch, slots), Tensor.From(nsp));
        model.Train();
        void Step()
        {
            var (mlm, nspLoss) = BertPretraining.BatchLoss(model, data);
            Tensor loss = mlm + nspLoss;
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        double seconds = Timing.MedianSeconds(Step, warmups: 2, rounds: 5, repsPerRound: 1);
        yield return new Figure($"bert-d{hidden}-l2-s{steps}-b{batch}", ("steps_per_s", 1 / seconds), ("tokens_per_s", batch * steps / seconds));
    }
}
