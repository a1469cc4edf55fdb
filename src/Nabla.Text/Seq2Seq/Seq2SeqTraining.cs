using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Text.Seq2Seq;

/// <summary>Training of an <see cref="EncoderDecoder"/> on translation pairs as in d2l §9.7.3 (<c>train_seq2seq</c>).</summary>
public static class Seq2SeqTraining
{
    /// <summary>
    /// d2l's <c>xavier_init_weights</c>: Xavier-uniform weights for every <see cref="Linear"/> and every GRU weight
    /// matrix (biases and embeddings keep their initialisation). Draws from the default generator.
    /// </summary>
    public static void XavierInit(Module net)
    {
        ArgumentNullException.ThrowIfNull(net);
        using var noGrad = Autograd.NoGrad();
        foreach (var module in net.Modules())
        {
            if (module is Linear linear) Init.XavierUniform_(linear.Weight);
            else if (module is GRU gru)
                foreach (var (name, parameter) in gru.NamedParameters(recurse: false))
                    if (name.StartsWith("weight", StringComparison.Ordinal)) Init.XavierUniform_(parameter);
        }
    }

    /// <summary>
    /// One epoch of <c>train_seq2seq</c> with teacher forcing: the decoder reads &lt;bos&gt; followed by the target
    /// without its last token, the <see cref="MaskedSoftmaxCELoss"/> is summed over the batch and back-propagated,
    /// the gradient norm clipped to <paramref name="clipNorm"/>, one optimizer step.
    /// Returns the course's figure: Σ per-sequence loss / Σ valid target tokens.
    /// </summary>
    /// <param name="net">The model.</param>
    /// <param name="batches">Minibatches [X, X_valid_len, Y, Y_valid_len] (<see cref="TranslationData.Loader"/>).</param>
    /// <param name="optimizer">The optimizer over the model's parameters.</param>
    /// <param name="bos">Index of &lt;bos&gt; in the target vocabulary.</param>
    /// <param name="clipNorm">Largest global gradient norm (d2l: 1).</param>
    /// <param name="batchEnd">Called after each minibatch with its valid target tokens and the running loss; none when null.</param>
    public static double TrainEpoch(EncoderDecoder net, IEnumerable<Tensor[]> batches, Optimizer optimizer, int bos, double clipNorm = 1,
        Action<long, double>? batchEnd = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(optimizer);
        net.Train();
        var loss = new MaskedSoftmaxCELoss();
        double lossSum = 0;
        long tokens = 0;
        foreach (var batch in batches)
        {
            if (batch.Length != 4) throw new ArgumentException($"TrainEpoch: a batch must be [X, X_valid_len, Y, Y_valid_len], got {batch.Length} tensors.", nameof(batches));
            var (x, xValidLen, y, yValidLen) = (batch[0], batch[1], batch[2], batch[3]);
            var decInput = Tensor.Cat([Tensor.Full([y.Size(0), 1], (long)bos, DType.Int64), y[.., ..^1]], 1); // teacher forcing
            var (yHat, _) = net.Forward(x, decInput, xValidLen);
            var l = loss.Forward(yHat, y, yValidLen).Sum();
            optimizer.ZeroGrad();
            l.Backward();
            GradientClipping.ClipGradNorm(net.Parameters(), clipNorm);
            optimizer.Step();
            long count = yValidLen.Sum().Item<long>();
            lossSum += l.Item<float>();
            tokens += count;
            batchEnd?.Invoke(count, lossSum / tokens);
        }
        return tokens > 0 ? lossSum / tokens : double.NaN;
    }
}
