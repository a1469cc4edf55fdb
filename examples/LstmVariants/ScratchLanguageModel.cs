using Nabla;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Text;

namespace LstmVariants;

/// <summary>d2l §8.5's training loop and greedy prediction, for <see cref="ScratchLstm"/>.</summary>
public static class ScratchLanguageModel
{
    /// <summary>
    /// One epoch over sequential minibatches: the state carries over, detached; mean cross-entropy,
    /// backward, gradient norm clipped to <paramref name="clipNorm"/>, one optimizer step. Returns the perplexity.
    /// </summary>
    public static double TrainEpoch(ScratchLstm model, SeqDataLoader data, Optimizer optimizer, double clipNorm = 1)
    {
        (Tensor H, Tensor C)? state = null;
        double lossSum = 0;
        long tokens = 0;
        foreach (var (x, y) in data)
        {
            if (state is { } s) state = (s.H.Detach(), s.C.Detach());
            var (logits, next) = model.Forward(x, state);
            state = next;
            var target = y.T.Reshape(-1);
            var loss = Functional.CrossEntropy(logits, target);
            optimizer.ZeroGrad();
            loss.Backward();
            GradientClipping.ClipGradNorm(model.Parameters(), clipNorm);
            optimizer.Step();
            lossSum += loss.Item<float>() * target.NumElements;
            tokens += target.NumElements;
        }
        return Math.Exp(lossSum / tokens);
    }

    /// <summary>Greedy continuation of <paramref name="prefix"/> by <paramref name="count"/> characters (d2l's <c>predict_ch8</c>).</summary>
    public static string Predict(string prefix, int count, ScratchLstm model, Vocab vocab)
    {
        using var noGrad = Autograd.NoGrad();
        var state = model.BeginState(1);
        var outputs = new List<int> { vocab[prefix[0].ToString()] };
        Tensor Last() => Tensor.From(new long[] { outputs[^1] }, [1, 1]);
        foreach (char ch in prefix[1..])
        {
            state = model.Forward(Last(), state).State;
            outputs.Add(vocab[ch.ToString()]);
        }
        for (int i = 0; i < count; i++)
        {
            (var logits, state) = model.Forward(Last(), state);
            outputs.Add((int)logits.ArgMax(1).Item<long>());
        }
        return string.Concat(vocab.ToTokens(outputs));
    }
}
