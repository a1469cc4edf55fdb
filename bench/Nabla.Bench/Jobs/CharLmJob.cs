using Nabla.NN;
using Nabla.Optim;
using Nabla.Text;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>lstm</c>, <c>gru</c>, <c>rnn</c>: the anchors' character language-model step (vocab 28, hidden 256,
/// batch 32, 35 steps, one-hot input, cross-entropy, clip 1.0, SGD lr 1) on random tokens, 20 timed
/// steps after 2 warm-up steps as in <c>torch_anchor.py</c>; figure <c>{kind}-charlm-b32-t35-h256</c>
/// tokens_per_s (median of 3 rounds); and the recurrent layer alone, forward and forward + backward of
/// a [35, 32, 28] input (<c>{kind}-layer-t35-n32-i28-h256</c> forward_ms, forward_backward_ms, best of 25:
/// the minimum, because the layer's own cost is what is asked and the machines are shared).
/// </summary>
internal sealed class CharLmJob(string kind) : IBenchJob
{
    public string Name => kind;

    public IEnumerable<Figure> Run()
    {
        const int vocab = 28, hidden = 256, batch = 32, steps = 35;
        var generator = new Generator(0);
        Module rnn = kind switch
        {
            "lstm" => new LSTM(vocab, hidden),
            "gru" => new GRU(vocab, hidden),
            _ => new RNN(vocab, hidden),
        };
        var model = new RNNModel(rnn, vocab);
        var optimizer = new SGD(model.Parameters(), lr: 1);
        var x = Tensor.RandInt(0, vocab, [batch, steps], generator: generator);
        var y = Tensor.RandInt(0, vocab, [batch, steps], generator: generator);
        var target = y.T.Reshape(-1);
        void Step()
        {
            var (logits, _) = model.Forward(x);
            var loss = Functional.CrossEntropy(logits, target);
            optimizer.ZeroGrad();
            loss.Backward();
            GradientClipping.ClipGradNorm(model.Parameters(), 1);
            optimizer.Step();
        }
        double seconds = Timing.MedianSeconds(Step, warmups: 2, rounds: 3, repsPerRound: 20);
        yield return new Figure($"{kind}-charlm-b32-t35-h256", ("tokens_per_s", batch * steps / seconds));

        var input = Tensor.Randn([steps, batch, vocab], generator: generator);
        Tensor LayerForward() => rnn switch
        {
            LSTM l => l.Forward(input).Output,
            GRU g => g.Forward(input).Output,
            RNN r => r.Forward(input).Output,
            _ => throw new InvalidOperationException(),
        };
        double forward = Timing.BestSeconds(() => LayerForward(), warmups: 3, rounds: 25);
        double forwardBackward = Timing.BestSeconds(() => LayerForward().Sum().Backward(), warmups: 3, rounds: 25);
        yield return new Figure($"{kind}-layer-t35-n32-i28-h256", ("forward_ms", forward * 1e3), ("forward_backward_ms", forwardBackward * 1e3));
    }
}
