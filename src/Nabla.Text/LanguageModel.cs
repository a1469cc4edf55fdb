using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Text;

/// <summary>Training and sampling of an <see cref="RNNModel"/> as in d2l §8.5 (<c>train_epoch_ch8</c>, <c>predict_ch8</c>).</summary>
public static class LanguageModel
{
    /// <summary>
    /// One epoch (<c>train_epoch_ch8</c>): for each minibatch, a fresh zero state with random
    /// sampling or the previous state detached with sequential sampling, mean cross-entropy over
    /// all T·N predictions, backward, gradient norm clipped to <paramref name="clipNorm"/>, one step.
    /// Returns the epoch's perplexity exp(mean loss per token).
    /// </summary>
    public static double TrainEpoch(RNNModel model, SeqDataLoader data, Optimizer optimizer, double clipNorm = 1)
    {
        model.Train();
        Tensor[]? state = null;
        double lossSum = 0;
        long tokens = 0;
        foreach (var (x, y) in data)
        {
            if (state == null || data.UseRandomIter) state = model.BeginState(x.Size(0));
            else state = [.. state.Select(s => s.Detach())];
            var target = y.T.Reshape(-1); // time-major, like the logits
            (var logits, state) = model.Forward(x, state);
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

    /// <summary>
    /// Continues <paramref name="prefix"/> by <paramref name="numPreds"/> tokens, greedily
    /// (<c>predict_ch8</c>): warm the state up on the prefix, then feed back the arg-max token.
    /// Characters are concatenated (use a character vocabulary).
    /// </summary>
    public static string Predict(string prefix, int numPreds, RNNModel model, Vocab vocab)
    {
        if (prefix.Length == 0) throw new ArgumentException("Predict: the prefix must not be empty.", nameof(prefix));
        using var noGrad = Autograd.NoGrad();
        model.Eval();
        var state = model.BeginState(1);
        var outputs = new List<int> { vocab[prefix[0].ToString()] };
        Tensor Last() => Tensor.From(new long[] { outputs[^1] }, [1, 1]);
        foreach (char ch in prefix[1..])
        {
            (_, state) = model.Forward(Last(), state);
            outputs.Add(vocab[ch.ToString()]);
        }
        for (int i = 0; i < numPreds; i++)
        {
            (var logits, state) = model.Forward(Last(), state);
            outputs.Add((int)logits.ArgMax(1).Item<long>());
        }
        return string.Concat(vocab.ToTokens(outputs));
    }
}
