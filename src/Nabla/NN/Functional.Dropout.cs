namespace Nabla.NN;

// Dropout.
public static partial class Functional
{
    /// <summary>
    /// Inverted dropout (<c>F.dropout</c>): in training, each element is zeroed with probability
    /// <paramref name="p"/> and the survivors are scaled by 1/(1 − p), so the expected value is
    /// unchanged and evaluation needs no rescaling; otherwise the input is returned as is.
    /// Shape: [*] → [*].
    /// </summary>
    /// <param name="input">The activations.</param>
    /// <param name="p">Probability of zeroing an element, in [0, 1].</param>
    /// <param name="training">Apply dropout (true) or return the input (false).</param>
    /// <param name="generator">The random source; <see cref="Generator.Default"/> when null.</param>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        if (p is < 0 or > 1) throw new ArgumentException($"Dropout: probability p must be in [0, 1], got {p}.", nameof(p));
        if (!training || p == 0) return input;
        CheckFloating("Dropout", "input", input);
        if (p == 1) return input * 0.0;
        // keep ~ Bernoulli(1 − p): one uniform draw per element; the mask is constant for autograd.
        var mask = Tensor.Rand(input.Shape, input.DType, generator).Ge(p).To(input.DType) * (1 / (1 - p));
        return input * mask;
    }
}
