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
    /// <param name="model">The model to train.</param>
    /// <param name="data">The minibatches of one epoch.</param>
    /// <param name="optimizer">The optimizer over the model's parameters.</param>
    /// <param name="clipNorm">Largest global gradient norm.</param>
    /// <param name="batchEnd">Called after each minibatch with the number of tokens it predicted and the running perplexity; none when null.</param>
    public static double TrainEpoch(RNNModel model, SeqDataLoader data, Optimizer optimizer, double clipNorm = 1, Action<long, double>? batchEnd = null)
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
            batchEnd?.Invoke(target.NumElements, Math.Exp(lossSum / tokens));
        }
        return Math.Exp(lossSum / tokens);
    }

    /// <summary>
    /// Continues <paramref name="prefix"/> by <paramref name="numPreds"/> tokens, greedily
    /// (<c>predict_ch8</c>): warm the state up on the prefix, then feed back the arg-max token.
    /// Characters are concatenated (use a character vocabulary).
    /// </summary>
    public static string Predict(string prefix, int numPreds, RNNModel model, Vocab vocab) =>
        Sample(prefix, numPreds, model, vocab, temperature: 0);

    /// <summary>
    /// Continues <paramref name="prefix"/> by <paramref name="numPreds"/> tokens, each drawn from
    /// softmax(logits / <paramref name="temperature"/>) restricted to the <paramref name="topK"/> most
    /// likely tokens; greedy (arg-max, as <see cref="Predict"/>) when the temperature is 0.
    /// Characters are concatenated (use a character vocabulary).
    /// </summary>
    /// <param name="prefix">The text to continue; not empty.</param>
    /// <param name="numPreds">Tokens to generate.</param>
    /// <param name="model">The trained model.</param>
    /// <param name="vocab">Its vocabulary.</param>
    /// <param name="temperature">0 for greedy decoding; below 1 sharpens, above 1 flattens the distribution.</param>
    /// <param name="topK">Keep only the K most likely tokens (0: all).</param>
    /// <param name="generator">Random source of the draws; the default generator when null.</param>
    public static string Sample(string prefix, int numPreds, RNNModel model, Vocab vocab, double temperature = 1, int topK = 0, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length == 0) throw new ArgumentException("Sample: the prefix must not be empty.", nameof(prefix));
        if (numPreds < 0) throw new ArgumentException($"Sample: numPreds must be non-negative, got {numPreds}.", nameof(numPreds));
        if (!(temperature >= 0) || double.IsInfinity(temperature)) throw new ArgumentException($"Sample: the temperature must be a finite number ≥ 0, got {temperature}.", nameof(temperature));
        if (topK < 0) throw new ArgumentException($"Sample: topK must be non-negative, got {topK}.", nameof(topK));
        generator ??= Generator.Default;
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
            outputs.Add(temperature == 0
                ? (int)logits.ArgMax(1).Item<long>()
                : Draw(logits.To(DType.Float64).ToArray<double>(), temperature, topK, generator));
        }
        return string.Concat(vocab.ToTokens(outputs));
    }

    // One draw from softmax(z / T) over the top-k logits, by inverting the cumulative distribution.
    static int Draw(double[] logits, double temperature, int topK, Generator generator)
    {
        int k = topK == 0 ? logits.Length : Math.Min(topK, logits.Length);
        int[] order = [.. Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).Take(k)];
        double max = logits[order[0]];
        var weights = new double[k];
        double total = 0;
        for (int j = 0; j < k; j++) total += weights[j] = Math.Exp((logits[order[j]] - max) / temperature); // stable: the largest weight is 1
        double u = generator.NextDouble() * total;
        for (int j = 0; j < k; j++)
        {
            u -= weights[j];
            if (u < 0) return order[j];
        }
        return order[k - 1];
    }
}
